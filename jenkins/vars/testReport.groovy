// Turns the JUnit files of the earlier steps into one summary and one pass/fail decision
// (testgate report), archives reports/ and puts the decision in the build description.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('testReport', [
        reportPaths : '',
        policy      : '',
        baseline    : '',
        dryRun      : '',
        publishJunit: false,
    ], args)
    cfg.reportPaths = cfg.reportPaths ?: "${cfg.reportsDir}/*.xml"
    testgateStep.execute(cfg, [
        TESTGATE_REPORT_PATHS: cfg.reportPaths,
        TESTGATE_POLICY      : cfg.policy,
        TESTGATE_BASELINE    : cfg.baseline,
        TESTGATE_DRY_RUN     : cfg.dryRun,
        TESTGATE_JSON        : "${cfg.reportsDir}/testgate-report.json",
    ], [job: 'test-report',
        junit: cfg.publishJunit.toString() == 'true' ? cfg.reportPaths.split(' ').join(',') : null,
        commands: [[run: 'testgate report']]])
}
