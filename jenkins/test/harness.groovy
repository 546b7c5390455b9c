// A small stand-in for Jenkins Pipeline, for testing this shared library without Jenkins.
// Loads vars/*.groovy as scripts over one binding of recording stubs (sh runs for real with
// /bin/sh -xe, as Jenkins does), runs scenarios from a JSON file and writes what happened as JSON.
// Usage: groovy jenkins/test/harness.groovy LIBRARY_DIR SCENARIOS.json RESULTS.json
// A scenario: {name, workspace, script | jenkinsfile, args, env, credentials, params,
// artifacts (where archiveArtifacts keeps files; default <workspace>@artifacts),
// previousArtifacts (the last completed build's artifacts, for copyArtifacts: a folder, or
// {projectName: folder} for builds of several jobs), copyArtifactsError}.
// In package hudson so that the library can catch hudson.AbortException as in Jenkins.
package hudson

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import java.util.concurrent.TimeUnit
import java.util.regex.Pattern
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.customizers.ImportCustomizer

/** What hudson.AbortException is to Jenkins: a failure with a message and no stack trace worth showing. */
class AbortException extends RuntimeException {
    AbortException(String message) { super(message) }
}

/**
 * A var from vars/: callable like a step. Its other methods (`testgateStep.settings`) are reached
 * through the closure's owner, the script itself.
 */
class VarProxy extends Closure {
    final Script script

    VarProxy(Script script) {
        super(script)
        this.script = script
    }

    Object doCall(Object[] args) { script.invokeMethod('call', args) }
}

/** `env`: reads the environment as withEnv/withCredentials have shaped it; writes are global. */
class EnvProxy {
    final Harness h

    EnvProxy(Harness h) { this.h = h }

    Object getProperty(String name) { h.effectiveEnv()[name] }

    void setProperty(String name, Object value) { h.globalEnv[name] = value == null ? null : value.toString() }

    Object getAt(String name) { getProperty(name) }

    void putAt(String name, Object value) { setProperty(name, value) }

    Map getEnvironment() { h.effectiveEnv() }
}

/** `currentBuild`: the fields the library reads and writes. */
class CurrentBuild {
    String result
    String description
    String displayName
    int number = 1

    String getCurrentResult() { result ?: 'SUCCESS' }
}

/** Takes any directive (options, triggers, parameters) and records it. */
class Sink {
    final Harness h
    final String section

    Sink(Harness h, String section) {
        this.h = h
        this.section = section
    }

    Object methodMissing(String name, Object args) {
        List list = args as List
        h.record([step: section, name: name, args: list.findAll { !(it instanceof Closure) }*.toString()])
        list.findAll { it instanceof Closure }.each { Closure c -> Declarative.dsl(c, this) }
        null
    }
}

/** `environment {}`: NAME = value, and credentials('id') for a secret. */
class EnvironmentDsl {
    final Harness h
    final List<String> pairs = []

    EnvironmentDsl(Harness h) { this.h = h }

    void propertyMissing(String name, Object value) {
        if (value instanceof Map && value.credentialsId) {
            Object secret = h.credentials[value.credentialsId]
            if (secret == null) {
                throw new AbortException("Could not find credentials entry with ID '${value.credentialsId}'")
            }
            h.secretVars << name
            h.record([step: 'environment', credentialsId: value.credentialsId, variable: name])
            pairs << "${name}=${secret}".toString()
        } else {
            pairs << "${name}=${value}".toString()
        }
    }

    Map credentials(String id) { [credentialsId: id] }
}

/** `when {}`: branch, expression and environment conditions, all of which must hold. */
class WhenDsl {
    final Harness h
    final List<Closure<Boolean>> conditions = []

    WhenDsl(Harness h) { this.h = h }

    void branch(String pattern) {
        conditions << { -> (h.effectiveEnv().BRANCH_NAME ?: '') ==~ pattern.replace('*', '.*') }
    }

    void expression(Closure<Boolean> c) { conditions << c }

    void environment(Map m) { conditions << { -> h.effectiveEnv()[m.name] == m.value?.toString() } }
}

/** `post {}` of the pipeline or of a stage (named methods, so that steps inside still resolve). */
class PostDsl {
    final Map<String, Closure> blocks = [:]

    void always(Closure c) { blocks.always = c }

    void success(Closure c) { blocks.success = c }

    void failure(Closure c) { blocks.failure = c }

    void unsuccessful(Closure c) { blocks.unsuccessful = c }

    void cleanup(Closure c) { blocks.cleanup = c }
}

/** One `stage('name') {}` of a declarative pipeline. */
class StageDsl {
    final Harness h
    final String name
    Closure steps
    WhenDsl when
    EnvironmentDsl environment
    PostDsl post = new PostDsl()
    List<StageDsl> parallel = []

    StageDsl(Harness h, String name) {
        this.h = h
        this.name = name
        this.environment = new EnvironmentDsl(h)
    }

    void steps(Closure c) { steps = c }

    void when(Closure c) { when = new WhenDsl(h); Declarative.dsl(c, when) }

    void environment(Closure c) { Declarative.dsl(c, environment) }

    void post(Closure c) { Declarative.dsl(c, post) }

    void agent(Object a) { }

    void options(Closure c) { Declarative.dsl(c, new Sink(h, 'options')) }

    void parallel(Closure c) {
        Declarative collector = new Declarative(h)
        Declarative.dsl(c, collector)
        parallel = collector.stages
    }
}

/**
 * A declarative `pipeline {}`, collected and then run the way Jenkins runs it (a subset):
 * stages in order, the ones after a failure skipped, `when` conditions, `environment`
 * (with credentials()), and `post` conditions of stages and of the pipeline.
 */
class Declarative {
    final Harness h
    final EnvironmentDsl environment
    final List<StageDsl> stages = []
    final PostDsl post = new PostDsl()

    Declarative(Harness h) {
        this.h = h
        this.environment = new EnvironmentDsl(h)
    }

    static void dsl(Closure c, Object delegate) {
        c.delegate = delegate
        c.resolveStrategy = Closure.DELEGATE_FIRST
        c()
    }

    Object getAny() { 'any' }

    Object getNone() { 'none' }

    void agent(Object a) { h.record([step: 'agent', agent: a instanceof Closure ? 'closure' : a.toString()]) }

    void options(Closure c) { dsl(c, new Sink(h, 'options')) }

    void triggers(Closure c) { dsl(c, new Sink(h, 'triggers')) }

    void parameters(Closure c) { dsl(c, new Sink(h, 'parameters')) }

    void environment(Closure c) { dsl(c, environment) }

    void stages(Closure c) { dsl(c, this) }

    void stage(String name, Closure c) {
        StageDsl st = new StageDsl(h, name)
        dsl(c, st)
        stages << st
    }

    void post(Closure c) { dsl(c, post) }

    void run() {
        Throwable failure = null
        h.withOverlay(environment.pairs) {
            for (StageDsl st in stages) {
                failure = runStage(st, failure != null) ?: failure
            }
            if (failure != null) {
                h.currentBuild.result = 'FAILURE'
            }
            try {
                runPost(post, failure == null ? 'SUCCESS' : 'FAILURE')
            } catch (AbortException e) {
                failure = failure ?: e
                h.currentBuild.result = 'FAILURE'
            }
        }
        if (failure != null) {
            throw failure
        }
    }

    /** One stage (its parallel stages one after the other, all of them); returns its failure. */
    Throwable runStage(StageDsl st, boolean skip) {
        if (skip || (st.when && !st.when.conditions.every { it() })) {
            h.stages << [name: st.name, status: 'SKIPPED']
            return null
        }
        try {
            h.withOverlay(st.environment.pairs) {
                h.stage(st.name) {
                    if (st.parallel) {
                        Throwable first = st.parallel.collect { runStage(it, false) }.find { it != null }
                        if (first != null) {
                            throw first
                        }
                    } else {
                        st.steps.call()
                    }
                }
            }
            runPost(st.post, 'SUCCESS')
            return null
        } catch (AbortException e) {
            runPost(st.post, 'FAILURE')
            return e
        }
    }

    /** The post conditions that apply to `result`, in Jenkins' order. */
    void runPost(PostDsl p, String result) {
        List<String> order = ['always', result == 'SUCCESS' ? 'success' : 'failure',
                              result == 'SUCCESS' ? null : 'unsuccessful', 'cleanup']
        order.findAll { it && p.blocks[it] }.each { String cond ->
            h.record([step: 'post', condition: cond])
            p.blocks[cond]()
        }
    }
}

class Harness {
    File lib
    File workspace
    File cwd
    Map<String, String> globalEnv = [:]
    List<List<String>> overlays = []
    Set<String> secretVars = [] as Set
    Map credentials = [:]
    List<Map> calls = []
    List<Map> stages = []
    StringBuilder log = new StringBuilder()
    String stage
    CurrentBuild currentBuild = new CurrentBuild()
    Binding binding = new Binding()
    GroovyShell shell
    long shTimeoutSeconds = 600
    File artifacts
    Map<String, File> previousArtifacts   // projectName ('*': any) -> that job's last build's artifacts
    String copyArtifactsError

    Harness(File lib, File workspace, Map env, Map credentials, Map params) {
        this.lib = lib
        this.workspace = workspace
        this.cwd = workspace
        this.credentials = credentials ?: [:]
        this.artifacts = new File(workspace.path + '@artifacts')
        globalEnv.putAll(System.getenv())
        globalEnv.putAll([
            WORKSPACE   : workspace.path,
            JENKINS_URL : 'http://jenkins.example.test/',
            BUILD_URL   : 'http://jenkins.example.test/job/service/1/',
            BUILD_NUMBER: '1',
            JOB_NAME    : 'service',
        ])
        (env ?: [:]).each { k, v -> globalEnv[k as String] = v == null ? null : v.toString() }
        bindSteps(params ?: [:])
        def gcl = new GroovyClassLoader(this.class.classLoader)
        gcl.parseClass('''package tgharness
            import java.lang.annotation.*
            @Retention(RetentionPolicy.SOURCE) @interface Library { String[] value() }''')
        def cc = new CompilerConfiguration()
        def imports = new ImportCustomizer()
        imports.addImports('tgharness.Library')
        cc.addCompilationCustomizers(imports)
        shell = new GroovyShell(gcl, binding, cc)
        new File(lib, 'vars').listFiles().findAll { it.name.endsWith('.groovy') }.sort().each { f ->
            Script s = shell.parse(f)
            s.binding = binding
            binding.setVariable(f.name - '.groovy', new VarProxy(s))
        }
    }

    // -- environment ----------------------------------------------------------------------
    Map<String, String> effectiveEnv() {
        Map<String, String> out = new LinkedHashMap<>(globalEnv.findAll { it.value != null })
        overlays.each { List<String> list ->
            list.each { String pair ->
                int eq = pair.indexOf('=')
                String key = eq < 0 ? pair : pair.substring(0, eq)
                String value = eq < 0 ? '' : pair.substring(eq + 1)
                int plus = key.indexOf('+')
                if (plus > 0) {  // PATH+NAME=dir prepends dir to PATH, as Jenkins does
                    String base = key.substring(0, plus)
                    out[base] = out[base] ? "${value}${File.pathSeparator}${out[base]}".toString() : value
                } else {
                    out[key] = value
                }
            }
        }
        out
    }

    /** The variables withEnv/withCredentials added, secrets masked like Jenkins masks them. */
    Map<String, String> overlayEnv() {
        Map<String, String> out = [:]
        overlays.each { list ->
            list.each { String pair ->
                int eq = pair.indexOf('=')
                String key = eq < 0 ? pair : pair.substring(0, eq)
                out[key] = key in secretVars ? '****' : (eq < 0 ? '' : pair.substring(eq + 1))
            }
        }
        out
    }

    void record(Map call) {
        call.stage = stage
        calls << call
    }

    File resolve(String path) {
        File f = new File(path)
        f.absolute ? f : new File(cwd, path)
    }

    /** Ant-style patterns (comma-separated, `**` for any depth), as junit and archiveArtifacts take them. */
    List<String> matchFiles(String patterns) {
        List<Pattern> regexes = patterns.split(',')*.trim().findAll { it }.collect { antToRegex(it) }
        List<String> found = []
        if (!cwd.exists()) {
            return found
        }
        cwd.eachFileRecurse(groovy.io.FileType.FILES) { File f ->
            String rel = cwd.toPath().relativize(f.toPath()).toString().replace(File.separator, '/')
            if (regexes.any { it.matcher(rel).matches() }) {
                found << rel
            }
        }
        found.sort()
    }

    static Pattern antToRegex(String ant) {
        String p = ant.endsWith('/') ? ant + '**' : ant
        StringBuilder re = new StringBuilder()
        int i = 0
        while (i < p.length()) {
            char c = p.charAt(i)
            if (p.startsWith('**/', i)) { re << '(?:.*/)?'; i += 3; continue }
            if (p.startsWith('**', i)) { re << '.*'; i += 2; continue }
            if (c == '*' as char) { re << '[^/]*' } else if (c == '?' as char) { re << '[^/]' } else { re << Pattern.quote(c as String) }
            i++
        }
        Pattern.compile(re.toString())
    }

    // -- steps ------------------------------------------------------------------------------
    Object sh(Object arg) {
        Map opts = arg instanceof Map ? arg : [script: arg.toString()]
        String script = opts.script.toString()
        File tmp = new File(workspace.path + '@tmp')
        tmp.mkdirs()
        File file = File.createTempFile('script', '.sh', tmp)
        file.text = script
        List<String> argv = script.startsWith('#!') ? [file.path] : ['/bin/sh', '-xe', file.path]
        if (script.startsWith('#!')) {
            file.setExecutable(true)
        }
        Map call = [step: 'sh', script: script, label: opts.label, env: overlayEnv(), cwd: cwd.path]
        record(call)
        cwd.mkdirs()
        // As in Jenkins: returnStdout captures stdout only; stderr (and the -x trace) goes to the log.
        ProcessBuilder pb = new ProcessBuilder(argv).directory(cwd).redirectErrorStream(!opts.returnStdout)
        pb.environment().clear()
        pb.environment().putAll(effectiveEnv())
        long started = System.nanoTime()
        Process proc = pb.start()
        proc.outputStream.close()
        StringBuilder out = new StringBuilder()
        StringBuilder err = new StringBuilder()
        Thread reader = Thread.start { proc.inputStream.eachLine('UTF-8') { out << it << '\n' } }
        Thread errReader = Thread.start { proc.errorStream.eachLine('UTF-8') { err << it << '\n' } }
        boolean finished = proc.waitFor(shTimeoutSeconds, TimeUnit.SECONDS)
        if (!finished) {
            proc.destroyForcibly().waitFor()
            err << "harness: sh killed after ${shTimeoutSeconds} s\n"
        }
        reader.join(5000)
        errReader.join(5000)
        int rc = finished ? proc.exitValue() : 124
        file.delete()
        call.rc = rc
        call.seconds = (System.nanoTime() - started) / 1e9
        String output = out.toString()
        log << err
        if (opts.returnStdout) {
            call.stdout = output
        } else {
            log << output
        }
        if (rc != 0 && !opts.returnStatus) {
            throw new AbortException("script returned exit code ${rc}")
        }
        if (opts.returnStatus) {
            return rc
        }
        opts.returnStdout ? output : null
    }

    Object stage(String name, Closure body) {
        String outer = stage
        Map entry = [name: name, status: 'SUCCESS']
        stages << entry
        stage = name
        log << "[Pipeline] { (${name})\n"
        try {
            return body()
        } catch (Throwable t) {
            entry.status = 'FAILURE'
            entry.error = t.message
            throw t
        } finally {
            stage = outer
        }
    }

    Object withEnv(List vars, Closure body) {
        List<String> pairs = vars.collect { it.toString() }
        record([step: 'withEnv', vars: pairs])
        withOverlay(pairs, body)
    }

    /** Runs body with `pairs` (NAME=value) added to the environment of every sh inside it. */
    Object withOverlay(List<String> pairs, Closure body) {
        overlays << pairs
        try {
            return body()
        } finally {
            overlays.remove(overlays.size() - 1)
        }
    }

    Object withCredentials(List bindings, Closure body) {
        List<String> vars = []
        List<Map> recorded = []
        bindings.each { Map b ->
            Object secret = credentials[b.credentialsId]
            if (secret == null) {
                throw new AbortException("Could not find credentials entry with ID '${b.credentialsId}'")
            }
            if (b.type == 'string') {
                vars << "${b.variable}=${secret}".toString()
                secretVars << b.variable
                recorded << [type: 'string', credentialsId: b.credentialsId, variable: b.variable]
            } else if (b.type == 'usernamePassword') {
                vars << "${b.usernameVariable}=${secret.username}".toString()
                vars << "${b.passwordVariable}=${secret.password}".toString()
                secretVars << b.usernameVariable << b.passwordVariable
                recorded << [type: 'usernamePassword', credentialsId: b.credentialsId,
                             usernameVariable: b.usernameVariable, passwordVariable: b.passwordVariable]
            }
        }
        record([step: 'withCredentials', bindings: recorded])
        withOverlay(vars, body)
    }

    Object junit(Object arg) {
        recordFiles('junit', 'testResults', 'allowEmptyResults', arg,
                    'No test report files were found. Configuration error?')
    }

    Object archiveArtifacts(Object arg) {
        recordFiles('archiveArtifacts', 'artifacts', 'allowEmptyArchive', arg,
                    'No artifacts found that match the file pattern')
        // Keep them, as Jenkins keeps a build's artifacts: the next build may copyArtifacts them.
        calls[-1].files.each { String rel ->
            File dest = new File(artifacts, rel)
            dest.parentFile.mkdirs()
            dest.bytes = new File(cwd, rel).bytes
        }
        null
    }

    /** copyArtifacts (Copy Artifact plugin) from previousArtifacts, the last completed build's. */
    Object copyArtifacts(Map opts) {
        Map call = [step: 'copyArtifacts', projectName: opts.projectName, selector: opts.selector?.type,
                    filter: opts.filter, target: opts.target, optional: opts.optional ?: false,
                    fingerprintArtifacts: opts.fingerprintArtifacts, files: []]
        record(call)
        if (copyArtifactsError) {
            throw new AbortException(copyArtifactsError)
        }
        List<Pattern> regexes = (opts.filter ?: '**').toString().split(',')*.trim().collect { antToRegex(it) }
        File previous = previousArtifacts == null ? null : previousArtifacts[opts.projectName as String] ?: previousArtifacts['*']
        if (previous?.exists()) {
            previous.eachFileRecurse(groovy.io.FileType.FILES) { File f ->
                String rel = previous.toPath().relativize(f.toPath()).toString().replace(File.separator, '/')
                if (regexes.any { it.matcher(rel).matches() }) {
                    File dest = new File(resolve(opts.target ?: '.'), rel)
                    dest.parentFile.mkdirs()
                    dest.bytes = f.bytes
                    call.files << rel
                }
            }
        }
        if (!call.files) {
            String message = previous ? "Failed to copy artifacts from ${opts.projectName} with filter: ${opts.filter}"
                                               : "Unable to find a build for artifact copy from: ${opts.projectName}"
            if (!opts.optional) {
                throw new AbortException(message)
            }
            log << message << '\n'
        }
        null
    }

    /** publishHTML (HTML Publisher plugin): records its target and whether the page is there. */
    Object publishHTML(Map opts) {
        Map target = (opts.target ?: opts) as Map
        File page = new File(resolve(target.reportDir.toString()), target.reportFiles.toString())
        record([step: 'publishHTML', target: target.collectEntries { k, v -> [(k): v.toString()] }, exists: page.exists()])
        if (!page.exists() && !(target.allowMissing as boolean)) {
            throw new AbortException("Specified HTML directory '${target.reportDir}' does not exist.")
        }
        null
    }

    /** junit and archiveArtifacts: record the pattern and the files it matches; none fails unless allowed. */
    Object recordFiles(String step, String patternKey, String allowKey, Object arg, String noneFound) {
        Map opts = arg instanceof Map ? arg : [(patternKey): arg.toString()]
        List<String> files = matchFiles(opts[patternKey].toString())
        boolean allowEmpty = opts[allowKey] ?: false
        record([step: step, (patternKey): opts[patternKey], (allowKey): allowEmpty, files: files])
        if (!files && !allowEmpty) {
            throw new AbortException("${noneFound}: ${opts[patternKey]}")
        }
        null
    }

    Map readProperties(Map opts) {
        File f = resolve(opts.file.toString())
        record([step: 'readProperties', file: opts.file])
        Properties props = new Properties()
        f.withReader('UTF-8') { props.load(it) }
        new LinkedHashMap(props)
    }

    void bindSteps(Map params) {
        Harness h = this
        binding.setVariable('env', new EnvProxy(h))
        binding.setVariable('currentBuild', currentBuild)
        binding.setVariable('params', params)
        binding.setVariable('scm', [type: 'scm'])
        binding.setVariable('sh', { Object a -> h.sh(a) })
        binding.setVariable('stage', { String n, Closure b -> h.stage(n, b) })
        binding.setVariable('node', { Object... a -> Closure b = a[-1]; Object r; h.record([step: 'node']); r = b(); r })
        binding.setVariable('dir', { String p, Closure b ->
            File outer = h.cwd
            h.cwd = h.resolve(p)
            try { b() } finally { h.cwd = outer }
        })
        binding.setVariable('withEnv', { List v, Closure b -> h.withEnv(v, b) })
        binding.setVariable('withCredentials', { List v, Closure b -> h.withCredentials(v, b) })
        binding.setVariable('string', { Map m -> [type: 'string'] + m })
        binding.setVariable('usernamePassword', { Map m -> [type: 'usernamePassword'] + m })
        binding.setVariable('junit', { Object a -> h.junit(a) })
        binding.setVariable('archiveArtifacts', { Object a -> h.archiveArtifacts(a) })
        binding.setVariable('copyArtifacts', { Map m -> h.copyArtifacts(m) })
        binding.setVariable('lastCompleted', { -> [type: 'lastCompleted'] })
        binding.setVariable('publishHTML', { Map m -> h.publishHTML(m) })
        binding.setVariable('readProperties', { Map m -> h.readProperties(m) })
        binding.setVariable('fileExists', { String p -> h.resolve(p).exists() })
        binding.setVariable('pwd', { Object... a ->
            Map m = a ? a[0] as Map : [:]
            m.tmp ? h.cwd.path + '@tmp' : h.cwd.path
        })
        binding.setVariable('isUnix', { -> true })
        binding.setVariable('deleteDir', { -> h.record([step: 'deleteDir', dir: h.cwd.path]); h.cwd.deleteDir(); null })
        binding.setVariable('echo', { Object m -> h.record([step: 'echo', message: m.toString()]); h.log << m << '\n'; null })
        binding.setVariable('error', { Object m ->
            h.record([step: 'error', message: m.toString()])
            throw new AbortException(m.toString())
        })
        binding.setVariable('checkout', { Object s -> h.record([step: 'checkout']); null })
        binding.setVariable('timeout', { Map m, Closure b -> h.record([step: 'timeout'] + m); b() })
        binding.setVariable('properties', { List l -> h.record([step: 'properties', count: l.size()]); null })
        binding.setVariable('pipelineTriggers', { List l -> [type: 'pipelineTriggers', triggers: l] })
        binding.setVariable('cron', { String spec -> h.record([step: 'cron', spec: spec]); [type: 'cron', spec: spec] })
        binding.setVariable('buildDiscarder', { Object o -> [type: 'buildDiscarder'] })
        binding.setVariable('logRotator', { Map m -> [type: 'logRotator'] + m })
        binding.setVariable('disableConcurrentBuilds', { Object... a -> [type: 'disableConcurrentBuilds'] })
        binding.setVariable('parameters', { List l -> [type: 'parameters'] })
        binding.setVariable('booleanParam', { Map m -> [type: 'booleanParam'] + m })
        binding.setVariable('choice', { Map m -> [type: 'choice'] + m })
        binding.setVariable('parallel', { Map branches ->
            // Jenkins runs the branches at once; here one after the other, every one of them
            // (unless failFast), then the first failure fails the step.
            Map named = branches.findAll { it.key != 'failFast' }
            h.record([step: 'parallel', branches: named.keySet() as List])
            Throwable first = null
            for (Map.Entry branch in named) {
                if (first != null && branches.failFast) {
                    break
                }
                try {
                    (branch.value as Closure).call()
                } catch (AbortException e) {
                    first = first ?: e
                }
            }
            if (first != null) {
                throw first
            }
            null
        })
        binding.setVariable('pipeline', { Closure c ->
            Declarative d = new Declarative(h)
            Declarative.dsl(c, d)
            d.run()
        })
    }

    /** Runs pipeline code (a Jenkinsfile's text) and returns what happened. */
    Map run(String code, String name, Map args) {
        binding.setVariable('ARGS', args ?: [:])
        String error = null
        try {
            Script s = shell.parse(code, name.replaceAll(/[^A-Za-z0-9_]/, '_'))
            s.binding = binding
            s.run()
        } catch (AbortException e) {
            error = e.message
            currentBuild.result = 'FAILURE'
        } catch (Throwable t) {
            error = "${t.class.name}: ${t.message}".toString()
            currentBuild.result = 'FAILURE'
            StringWriter sw = new StringWriter()
            t.printStackTrace(new PrintWriter(sw))
            log << sw.toString()
        }
        String library = (code =~ /@Library\('([^']*)'\)/).with { it.find() ? it.group(1) : null }
        [result     : currentBuild.currentResult, error: error, stages: stages, calls: calls,
         log        : log.toString(), description: currentBuild.description, library: library,
         workspace  : workspace.path, artifacts: artifacts.path]
    }
}

// -- main: scenarios in, results out ------------------------------------------------------
if (args.length != 3) {
    System.err.println('usage: groovy harness.groovy LIBRARY_DIR SCENARIOS.json RESULTS.json')
    System.exit(2)
}
File lib = new File(args[0])
List scenarios = new JsonSlurper().parse(new File(args[1]), 'UTF-8') as List
List results = scenarios.collect { Map sc ->
    File ws = new File(sc.workspace as String)
    ws.mkdirs()
    Harness h = new Harness(lib, ws, sc.env as Map, sc.credentials as Map, sc.params as Map)
    if (sc.artifacts) {
        h.artifacts = new File(sc.artifacts as String)
    }
    Object previous = sc.previousArtifacts
    h.previousArtifacts = previous instanceof Map ? previous.collectEntries { k, v -> [(k as String): new File(v as String)] }
                        : previous ? ['*': new File(previous as String)] : null
    h.copyArtifactsError = sc.copyArtifactsError
    String code = sc.jenkinsfile ? new File(sc.jenkinsfile as String).getText('UTF-8') : sc.script as String
    long t0 = System.nanoTime()
    Map r = h.run(code, sc.name as String, sc.args as Map)
    r.name = sc.name
    r.seconds = (System.nanoTime() - t0) / 1e9
    r
}
new File(args[2]).setText(JsonOutput.prettyPrint(JsonOutput.toJson(results)), 'UTF-8')
