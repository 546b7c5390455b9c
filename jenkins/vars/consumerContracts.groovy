// Runs the consumer's Pact tests (testgate consumer), writing pacts/*.json and reports/consumer.xml,
// and publishes the pacts to the broker only when the tests passed and publish is true.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('consumerContracts', [
        consumerTests: '',
        pactDir      : '',
        publish      : false,
        brokerUrl    : '',
        version      : '',
        branch       : '',
        credentialsId: 'pact-broker-token',
        usernamePasswordCredentialsId: '',
    ], args)
    List commands = [[run: 'testgate consumer']]
    if (cfg.publish.toString() == 'true') {
        commands << [run: 'testgate publish', broker: true]
    }
    testgateStep.execute(cfg, [
        TESTGATE_CONSUMER_TESTS: cfg.consumerTests,
        TESTGATE_PACT_DIR      : cfg.pactDir,
        TESTGATE_PUBLISH       : cfg.publish,
        PACT_BROKER_BASE_URL   : cfg.brokerUrl,
        TESTGATE_VERSION       : cfg.version,
        TESTGATE_BRANCH        : cfg.branch,
    ], [job: 'consumer-contracts', junit: ["${cfg.reportsDir}/consumer.xml"], commands: commands])
}
