// Runs the read-only smoke checks against an environment (testgate monitor), for a pipeline on a
// cron trigger: per-check metrics to reports/metrics.prom (and a Pushgateway), alerts on state
// changes only. The state comes back from the last completed build's artifacts, so any agent
// can run the next check. Never deploys.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('monitor', [
        env                      : 'prod',
        apiTests                 : '',
        targetUrl                : '',
        service                  : '',
        marker                   : '',
        pushgatewayUrl           : '',
        stateFile                : '',
        alertAttempts            : '',
        timeout                  : '',
        alertWebhookCredentialsId: '',
        restoreState             : true,
    ], args)
    String state = cfg.stateFile ?: "${cfg.reportsDir}/monitor-state.json"
    boolean restore = cfg.restoreState.toString() == 'true'
    if (restore) {
        testgateStep.restore(state)
    }
    List secrets = []
    if (cfg.alertWebhookCredentialsId) {
        secrets << string(credentialsId: cfg.alertWebhookCredentialsId, variable: 'TESTGATE_ALERT_WEBHOOK_URL')
    }
    testgateStep.execute(cfg, [
        TESTGATE_ENV            : cfg.env,
        TESTGATE_API_TESTS      : cfg.apiTests,
        TESTGATE_TARGET_URL     : cfg.targetUrl,
        TESTGATE_SERVICE        : cfg.service,
        TESTGATE_MARKER         : cfg.marker,
        TESTGATE_PUSHGATEWAY_URL: cfg.pushgatewayUrl,
        TESTGATE_STATE_FILE     : cfg.stateFile,
        TESTGATE_ALERT_ATTEMPTS : cfg.alertAttempts,
        TESTGATE_TIMEOUT        : cfg.timeout,
    ], [job: 'monitor', junit: ["${cfg.reportsDir}/monitor.xml"],
        // the state is archived for the next build (copyArtifacts takes workspace-relative paths)
        archive: ["${cfg.reportsDir}/metrics.prom"] + (state.startsWith('/') ? [] : [state]),
        commands: [[run: 'testgate monitor', secrets: secrets]]])
}
