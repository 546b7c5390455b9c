// Tells the Pact Broker that this version of a pacticipant is now deployed to an environment
// (testgate record-deployment). Call it after the deploy succeeded.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('recordDeployment', [
        pacticipant  : '',
        version      : '',
        environment  : '',
        brokerUrl    : '',
        credentialsId: 'pact-broker-token',
        usernamePasswordCredentialsId: '',
    ], args)
    testgateStep.execute(cfg, [
        TESTGATE_PACTICIPANT: cfg.pacticipant,
        TESTGATE_VERSION    : cfg.version,
        TESTGATE_ENVIRONMENT: cfg.environment,
        PACT_BROKER_BASE_URL: cfg.brokerUrl,
    ], [job: 'record-deployment', commands: [[run: 'testgate record-deployment', broker: true]]])
}
