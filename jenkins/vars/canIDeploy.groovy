// Asks the Pact Broker whether this version of a pacticipant may be deployed to an environment
// (testgate can-i-deploy). Fails the build when the matrix says no.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('canIDeploy', [
        pacticipant      : '',
        version          : '',
        toEnvironment    : '',
        brokerUrl        : '',
        retryWhileUnknown: '',
        retryInterval    : '',
        dryRun           : '',
        credentialsId    : 'pact-broker-token',
        usernamePasswordCredentialsId: '',
    ], args)
    testgateStep.execute(cfg, [
        TESTGATE_PACTICIPANT        : cfg.pacticipant,
        TESTGATE_VERSION            : cfg.version,
        TESTGATE_TO_ENVIRONMENT     : cfg.toEnvironment,
        PACT_BROKER_BASE_URL        : cfg.brokerUrl,
        TESTGATE_RETRY_WHILE_UNKNOWN: cfg.retryWhileUnknown,
        TESTGATE_RETRY_INTERVAL     : cfg.retryInterval,
        TESTGATE_DRY_RUN            : cfg.dryRun,
    ], [job: 'can-i-deploy', archive: ["${cfg.reportsDir}/can-i-deploy.json"],
        commands: [[run: 'testgate can-i-deploy', broker: true]]])
}
