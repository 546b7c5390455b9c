// Turns the JUnit files of the earlier steps into one summary and one pass/fail decision
// (testgate report), archives reports/ and puts the decision in the build description.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('testReport', [
        reportPaths : '',
        policy      : '',
        dryRun      : '',
        publishJunit: false,
    ], args)
    String paths = cfg.reportPaths ?: "${cfg.reportsDir}/*.xml"
    testgateStep.execute(cfg, [
        TESTGATE_REPORT_PATHS: paths,
        TESTGATE_POLICY      : cfg.policy,
        TESTGATE_DRY_RUN     : cfg.dryRun,
    ], [job: 'test-report',
        junit: cfg.publishJunit.toString() == 'true' ? paths.split(' ').join(',') : null,
        commands: [[run: 'testgate report --json "$TESTGATE_REPORTS_DIR/testgate-report.json"']]])
}
