// Runs the read-only smoke checks against an environment (testgate monitor), for a pipeline on a
// cron trigger: metrics to a Pushgateway and reports/, alerts on state changes. Never deploys.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('monitor', [
        env        : 'prod',
        targetUrl  : '',
        pushgateway: '',
    ], args)
    testgateStep.execute(cfg, [
        TESTGATE_ENV        : cfg.env,
        TESTGATE_TARGET_URL : cfg.targetUrl,
        TESTGATE_PUSHGATEWAY: cfg.pushgateway,
    ], [job: 'monitor', junit: "${cfg.reportsDir}/monitor.xml", commands: [[run: 'testgate monitor']]])
}
