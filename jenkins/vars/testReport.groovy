// Turns the JUnit files of the earlier steps into one summary and one pass/fail decision
// (testgate report), archives reports/ and puts the decision in the build description.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('testReport', [
        reportPaths : '',
        policy      : '',
        dryRun      : '',
        publishJunit: false,
    ], args)
    // Like the other platforms: by default every JUnit file under reportsDir.
    String junitFiles = cfg.reportPaths ? cfg.reportPaths.split(' ').join(',') : "${cfg.reportsDir}/**/*.xml"
    cfg.reportPaths = cfg.reportPaths ?: cfg.reportsDir
    testgateStep.execute(cfg, [
        TESTGATE_REPORT_PATHS: cfg.reportPaths,
        TESTGATE_POLICY      : cfg.policy,
        TESTGATE_DRY_RUN     : cfg.dryRun,
        TESTGATE_JSON        : "${cfg.reportsDir}/testgate-report.json",
        TESTGATE_MARKDOWN    : "${cfg.reportsDir}/testgate-report.md",
    ], [job: 'test-report',
        junit: cfg.publishJunit.toString() == 'true' ? junitFiles : null,
        commands: [[run: 'testgate report']]])
}
