// Turns the JUnit files of the earlier steps into one summary and one pass/fail decision
// (testgate report), archives reports/ and puts the decision in the build description. Then,
// also when the gate failed, adds the run to the history carried from build to build (restored
// from the last completed build, archived again), publishes the HTML trend page, and optionally
// uploads the results to TestRail. The report's exit code decides the step.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('testReport', [
        reportPaths          : '',
        policy               : '',
        dryRun               : '',
        history              : true,
        historyFile          : '.testgate-history/history.json',
        historyMaxRuns       : '',
        historyWindow        : '',
        flakyMaxFlips        : '',
        testrail             : false,
        testrailHost         : '',
        testrailProject      : '',
        testrailSuiteId      : '',
        testrailSuite        : '',
        testrailRunName      : '',
        testrailCloseRun     : '',
        testrailCredentialsId: 'testrail',
        trcli                : '',
        publishJunit         : false,
        publishHtml          : true,
    ], args)
    boolean history = cfg.history.toString() == 'true'
    boolean testrail = cfg.testrail.toString() == 'true'
    // Like the other platforms: by default every JUnit file under reportsDir.
    String junitFiles = cfg.reportPaths ? cfg.reportPaths.split(' ').join(',') : "${cfg.reportsDir}/**/*.xml"
    cfg.reportPaths = cfg.reportPaths ?: cfg.reportsDir
    String json = "${cfg.reportsDir}/testgate-report.json"
    if (history) {
        testgateStep.restore(cfg.historyFile)
    } else {
        cfg.historyFile = ''
    }
    testgateStep.execute(cfg, [
        TESTGATE_REPORT_PATHS      : cfg.reportPaths,
        TESTGATE_POLICY            : cfg.policy,
        TESTGATE_DRY_RUN           : cfg.dryRun,
        TESTGATE_JSON              : json,
        TESTGATE_MARKDOWN          : "${cfg.reportsDir}/testgate-report.md",
        TESTGATE_JUNIT_OUT         : "${cfg.reportsDir}/merged.xml",
        TESTGATE_JSON_TESTS        : history,
        TESTGATE_REPORT_JSON       : json,
        TESTGATE_HISTORY           : cfg.history,
        TESTGATE_HISTORY_FILE      : cfg.historyFile,
        TESTGATE_HISTORY_MAX_RUNS  : cfg.historyMaxRuns,
        TESTGATE_HISTORY_WINDOW    : cfg.historyWindow,
        TESTGATE_FLAKY_MAX_FLIPS   : cfg.flakyMaxFlips,
        TESTGATE_TESTRAIL          : cfg.testrail,
        TESTRAIL_HOST              : cfg.testrailHost,
        TESTGATE_TESTRAIL_PROJECT  : cfg.testrailProject,
        TESTGATE_TESTRAIL_SUITE_ID : cfg.testrailSuiteId,
        TESTGATE_TESTRAIL_SUITE    : cfg.testrailSuite,
        TESTGATE_TESTRAIL_RUN_NAME : cfg.testrailRunName,
        TESTGATE_TESTRAIL_CLOSE_RUN: cfg.testrailCloseRun,
        TESTGATE_TESTRAIL_JUNIT    : "${cfg.reportsDir}/merged.xml",
        TESTGATE_TRCLI             : cfg.trcli,
    ], [job: 'test-report',
        junit: cfg.publishJunit.toString() == 'true' ? junitFiles : null,
        archive: cfg.historyFile ? [cfg.historyFile] : [],
        run: { -> report(cfg, history, testrail) }])
}

/** The report, then history and TestRail whatever the decision; then its exit code decides. */
void report(Map cfg, boolean history, boolean testrail) {
    // The merged JUnit of an earlier call must not count again under the default reportPaths.
    int rc = testgateStep.runCommand(run: 'rm -f "$TESTGATE_JUNIT_OUT"; testgate report',
                                     label: 'testgate report', returnStatus: true)
    boolean decided = rc in [0, 1]   // 2 usage, 3 could not decide: no report to record
    List failed = []
    if (history && decided) {
        for (String command in ['testgate history record', 'testgate history html']) {
            if (testgateStep.runCommand(run: command, returnStatus: true) != 0) {
                failed << command
            }
        }
        if (cfg.publishHtml.toString() == 'true') {
            publishHTML(target: [reportDir: cfg.reportsDir, reportFiles: 'testgate-report.html',
                                 reportName: 'testgate report', keepAll: true,
                                 alwaysLinkToLastBuild: true, allowMissing: true])
        }
    }
    if (testrail && decided && !testrailUpload(cfg)) {
        failed << 'testgate testrail upload'
    }
    if (rc != 0) {
        error "testReport: testgate report exited ${rc} (" +
              (rc == 1 ? 'the gate failed' : rc == 2 ? 'usage or configuration error' : 'could not decide') + ')'
    }
    if (failed) {
        error "testReport: the gate passed, but ${failed.join(' and ')} failed (see its log)"
    }
}

/** testgate testrail upload with trcli (installed into its own virtualenv unless trcli is given). */
boolean testrailUpload(Map cfg) {
    List bindings = [usernamePassword(credentialsId: cfg.testrailCredentialsId,
                                      usernameVariable: 'TESTRAIL_USER', passwordVariable: 'TESTRAIL_KEY')]
    int rc = 1
    withEnv(["TESTGATE_TRCLI_VENV=${pwd(tmp: true)}/trcli-1.15.3", "TESTGATE_PYTHON=${cfg.python}"]) {
        rc = testgateStep.runCommand([run: '''
            if [ -z "${TESTGATE_TRCLI:-}" ]; then
              TESTGATE_TRCLI="$TESTGATE_TRCLI_VENV/bin/trcli"
              if [ ! -x "$TESTGATE_TRCLI" ]; then
                "$TESTGATE_PYTHON" -m venv "$TESTGATE_TRCLI_VENV"
                "$TESTGATE_TRCLI_VENV/bin/python" -m pip install --quiet --disable-pip-version-check trcli==1.15.3
              fi
              export TESTGATE_TRCLI
            fi
            testgate testrail upload
        ''', label: 'testgate testrail upload', returnStatus: true], bindings)
    }
    return rc == 0
}
