// Internal to the testgate library, not meant for Jenkinsfiles: what every step shares.
// settings() merges a step's arguments over its defaults and rejects unknown names;
// execute() installs testgate, passes inputs as env vars, runs the commands, and then always
// publishes the JUnit file, archives reports/ and sets the build description; restore() brings
// back files this job's last completed build archived (the history, the monitor state).

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
 * @param opts job (summary file name), junit (Ant pattern of the JUnit files to publish, or null),
 *        commands (list of [run: 'testgate ...', broker: true when it needs the broker's credentials,
 *        or secrets: a list of other credential bindings]) or run (a closure that runs them itself),
 *        archive (more workspace-relative files to archive besides reportsDir, or null)
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
        if (opts.junit) {
            junit(testResults: opts.junit, allowEmptyResults: true)
        }
        List patterns = ["${cfg.reportsDir}/**"] + (opts.archive ?: [])
        archiveArtifacts(artifacts: patterns.join(','), allowEmptyArchive: true)
        describe(cfg.reportsDir.toString())
    }
}

/**
 * Copies `file` (workspace-relative) from what this job's last completed build archived, with the
 * Copy Artifact plugin; a first build, or a build that archived none, leaves the workspace as it is.
 * A job that may not copy from itself (Copy Artifact's production mode) only gets a message.
 */
void restore(String file) {
    if (!file || file.startsWith('/')) {
        echo "testgate: ${file ?: 'nothing'} is not a workspace-relative path: not restored from the last build"
        return
    }
    try {
        copyArtifacts(projectName: "/${env.JOB_NAME}", selector: lastCompleted(), filter: file,
                      target: '.', optional: true, fingerprintArtifacts: false)
    } catch (hudson.AbortException e) {
        echo "testgate: ${file} not restored from the last build (${e.message}); " +
             'let the job copy from itself: properties([copyArtifactPermission(env.JOB_NAME)])'
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
 * command: run (the script), label (default: run), returnStatus (return the exit code, not fail).
 */
Object runCommand(Map command, List bindings = []) {
    Map opts = [label: command.label ?: command.run, script: command.run, returnStatus: command.returnStatus ?: false]
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
