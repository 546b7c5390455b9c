// Turns the test reports of the earlier steps into one summary and one pass/fail decision:
// `testgate ci report` (the report, then the history and its HTML page when the gate decided,
// then the optional TestRail upload; it exits with the gate's code). This step only wires:
// it restores the history from the last completed build, archives what testgate wrote,
// publishes the HTML page and sets the build description from testgate's outputs.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('testReport', [
        reportPaths          : '',
        policy               : '',
        baseline             : '',
        dryRun               : '',
        history              : true,
        historyFile          : '',
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
    // The history is read for the baseline too (the last run of the default branch in it).
    boolean readsHistory = history || cfg.baseline
    String historyFile = testgateStep.historyFile(cfg)
    if (readsHistory) {
        testgateStep.restore(historyFile)
    }
    String dir = cfg.reportsDir
    // What `testgate ci report` writes into the reports folder (ci.py's names).
    List outputs = ['testgate-report.json', 'testgate-report.md', 'merged.xml',
                    'testgate-report.html', 'history-trend.svg'].collect { "${dir}/${it}".toString() }
    testgateStep.execute(cfg, [
        // Default: exactly the JUnit files this build's testgate steps wrote.
        TESTGATE_REPORT_PATHS      : cfg.reportPaths ?: testgateStep.reports().join(' '),
        TESTGATE_POLICY            : cfg.policy,
        TESTGATE_BASELINE          : cfg.baseline,
        TESTGATE_DRY_RUN           : cfg.dryRun,
        TESTGATE_HISTORY           : cfg.history,
        TESTGATE_HISTORY_FILE      : readsHistory ? historyFile : '',
        TESTGATE_HISTORY_MAX_RUNS  : cfg.historyMaxRuns,
        TESTGATE_HISTORY_WINDOW    : cfg.historyWindow,
        TESTGATE_FLAKY_MAX_FLIPS   : cfg.flakyMaxFlips,
        TESTGATE_TESTRAIL          : cfg.testrail,
        TESTGATE_TESTRAIL_HOST     : cfg.testrailHost,
        TESTGATE_TESTRAIL_PROJECT  : cfg.testrailProject,
        TESTGATE_TESTRAIL_SUITE_ID : cfg.testrailSuiteId,
        TESTGATE_TESTRAIL_SUITE    : cfg.testrailSuite,
        TESTGATE_TESTRAIL_RUN_NAME : cfg.testrailRunName,
        TESTGATE_TESTRAIL_CLOSE_RUN: cfg.testrailCloseRun,
        TESTGATE_TRCLI             : cfg.trcli,
    ], [job: 'test-report',
        archive: outputs + (history ? [historyFile] : []),
        run: { -> report(cfg, history) }])
}

/** `testgate ci report`, then the HTML page and the JUnit files published; its exit code decides. */
void report(Map cfg, boolean history) {
    List bindings = []
    if (cfg.testrail.toString() == 'true') {
        // the TestRail user and API key, bound only when there is an upload
        bindings << usernamePassword(credentialsId: cfg.testrailCredentialsId,
                                     usernameVariable: 'TESTRAIL_USER', passwordVariable: 'TESTRAIL_KEY')
    }
    int rc = testgateStep.runCommand([run: 'testgate ci report', returnStatus: true], bindings)
    if (history && cfg.publishHtml.toString() == 'true') {
        // testgate writes the page when the gate decided; allowMissing covers the other case
        publishHTML(target: [reportDir: cfg.reportsDir, reportFiles: 'testgate-report.html',
                             reportName: 'testgate report', keepAll: true,
                             alwaysLinkToLastBuild: true, allowMissing: true])
    }
    if (cfg.publishJunit.toString() == 'true' && cfg.reportPaths) {
        junit(testResults: cfg.reportPaths.split(' ').join(','), allowEmptyResults: true)
    }
    if (rc != 0) {
        error "testReport: testgate ci report exited ${rc} (its log above says why)"
    }
}
