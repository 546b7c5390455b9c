// Internal to the testgate library, not meant for Jenkinsfiles: what every step shares.
// settings() merges a step's arguments over its defaults and rejects unknown names;
// execute() installs testgate, passes inputs as env vars, runs the commands, and then always
// publishes the JUnit files the step wrote, archives exactly the files it wrote and sets the
// build description; restore() brings back a file the last completed build archived (the
// history, the monitor state). Every decision is testgate's: these only wire.
import groovy.transform.Field

// The JUnit files the testgate steps of this build wrote, in order: what testReport reads
// by default, so that a stale report left in the workspace is never counted. (A var's
// script is instantiated once per build, so this list lives as long as the build.)
@Field List<String> written = []

/** The step's arguments over its defaults (plus the common ones); an unknown name is an error. */
Map settings(String step, Map defaults, Map args) {
    Map all = testgateInstall.defaults() + [reportsDir: 'reports', timeoutMinutes: 15] + defaults
    List unknown = ((args.keySet() - all.keySet())*.toString()).sort()
    if (unknown) {
        error "${step}: unknown argument(s) ${unknown.join(', ')}; " +
              "it takes ${all.keySet().sort().join(', ')} (see vars/${step}.txt)"
    }
    return all + args
}

/**
 * Runs testgate commands for one step.
 *
 * @param cfg what settings() returned
 * @param inputs env var name -> value; empty values are left out so testgate's defaults apply
 * @param opts job (summary file name), junit (the JUnit files the commands write: published,
 *        archived and read by testReport), commands (list of [run: 'testgate ...', broker: true
 *        when it needs the broker's credentials, or secrets: a list of other credential
 *        bindings]) or run (a closure that runs them itself), archive (more workspace-relative
 *        files the commands write, archived besides the JUnit files, the job's summary, the
 *        outputs and the logs of the services testgate started)
 */
void execute(Map cfg, Map inputs, Map opts) {
    List vars = [
        'TESTGATE_PLATFORM=jenkins',
        'PACT_DO_NOT_TRACK=true',
        "TESTGATE_REPORTS_DIR=${cfg.reportsDir}",
        "TESTGATE_JOB_NAME=${opts.job}",
    ]
    inputs.each { name, value ->
        if (value != null && value.toString() != '') {
            vars << "${name}=${value}"
        }
    }
    List junitFiles = (opts.junit ?: [])*.toString()
    try {
        timeout(time: cfg.timeoutMinutes as int, unit: 'MINUTES') {
            String bin = testgateInstall(cfg)
            withEnv(["PATH+TESTGATE=${bin}"] + vars) {
                if (opts.run) {
                    opts.run()
                } else {
                    for (Map command in opts.commands) {
                        runCommand(command, command.broker ? brokerBindings(cfg) : command.secrets ?: [])
                    }
                }
            }
        }
    } finally {
        if (junitFiles) {
            junit(testResults: junitFiles.join(','), allowEmptyResults: true)
            written.addAll(junitFiles - written)
        }
        String dir = cfg.reportsDir
        List files = junitFiles + (opts.archive ?: [])*.toString() +
            ["${dir}/${opts.job}.md", "${dir}/testgate-outputs.properties", "${dir}/*.log"]*.toString()
        archiveArtifacts(artifacts: files.unique().join(','), allowEmptyArchive: true)
        describe(dir)
    }
}

/** The JUnit files the testgate steps of this build wrote so far. */
List<String> reports() {
    return written.collect()
}

/** Where the steps keep the history: historyFile, or the folder the other platforms cache. */
String historyFile(Map cfg) {
    return cfg.historyFile ?: '.testgate-history/history.json'
}

/**
 * Copies `file` (workspace-relative) from what the last completed build archived, with the
 * Copy Artifact plugin: this job's own build, or for a multibranch pull request build
 * (CHANGE_ID) the build of the branch it merges into (CHANGE_TARGET), whose history holds the
 * runs a baseline compares with. A first build, or a build that archived none, leaves the
 * workspace as it is. A job that may not copy (Copy Artifact's production mode) only gets a
 * message.
 */
void restore(String file) {
    if (!file || file.startsWith('/')) {
        echo "testgate: ${file ?: 'nothing'} is not a workspace-relative path: not restored from the last build"
        return
    }
    String job = env.JOB_NAME
    String hint = 'let the job copy from itself: properties([copyArtifactPermission(env.JOB_NAME)])'
    if (env.CHANGE_ID && env.CHANGE_TARGET && job.contains('/')) {
        // A multibranch job per branch: <folder>/<repository>/<branch, %2F for a slash>.
        String folder = job.substring(0, job.lastIndexOf('/') + 1)
        job = folder + env.CHANGE_TARGET.replace('%', '%25').replace('/', '%2F')
        hint = "let the branch jobs copy from each other: properties([copyArtifactPermission('${folder}*')])"
    }
    try {
        copyArtifacts(projectName: "/${job}", selector: lastCompleted(), filter: file,
                      target: '.', optional: true, fingerprintArtifacts: false)
    } catch (hudson.AbortException e) {
        echo "testgate: ${file} not restored from the last build of ${job} (${e.message}); ${hint}"
    }
}

/** Jenkins credential bindings for the broker: a token, or a username and password, or none. */
List brokerBindings(Map cfg) {
    List bindings = []
    if (cfg.credentialsId) {
        bindings << string(credentialsId: cfg.credentialsId, variable: 'PACT_BROKER_TOKEN')
    }
    if (cfg.usernamePasswordCredentialsId) {
        bindings << usernamePassword(credentialsId: cfg.usernamePasswordCredentialsId,
                                     usernameVariable: 'PACT_BROKER_USERNAME',
                                     passwordVariable: 'PACT_BROKER_PASSWORD')
    }
    return bindings
}

/**
 * One `sh`, with the secrets it needs bound around it (as env vars: never interpolated into sh).
 * command: run (the script), label (default: run), returnStatus (return the exit code, not
 * fail), returnStdout (return what it printed).
 */
Object runCommand(Map command, List bindings = []) {
    Map opts = [label: command.label ?: command.run, script: command.run,
                returnStatus: command.returnStatus ?: false, returnStdout: command.returnStdout ?: false]
    if (bindings) {
        return withCredentials(bindings) {
            sh(opts)
        }
    }
    return sh(opts)
}

/** Sets currentBuild.description from what testgate's Jenkins adapter wrote, if anything. */
void describe(String reportsDir) {
    String file = "${reportsDir}/testgate-outputs.properties"
    if (!fileExists(file)) {
        return
    }
    Map out = readProperties(file: file)
    // The file collects every command's outputs (later lines win). The report's decision and
    // counts describe the build once testReport ran; before that, the last step's decision.
    if (out.tests) {
        String flaky = out['flaky-count'] && out['flaky-count'] != '0' ? ", ${out['flaky-count']} flaky" : ''
        currentBuild.description = "testgate ${out.decision}: ${out.tests} tests, ${out.failed ?: 0} failed${flaky}"
    } else if (out.state) {
        currentBuild.description = "testgate monitor ${out.state}: ${out.checks ?: 0} checks, ${out.failed ?: 0} failed"
    } else if (out.deployable) {
        currentBuild.description = "can-i-deploy: ${out.deployable == 'true' ? 'yes' : 'no'}"
    } else if (out.decision) {
        currentBuild.description = "testgate ${out.decision}"
    }
}
