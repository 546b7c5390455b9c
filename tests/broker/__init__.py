"""A test Pact Broker: the HAL API the real ``pact`` CLI and Verifier use, in a thread.

See :mod:`broker.server` for what it implements and :mod:`broker.fixtures` for the
pytest fixtures (``pact_broker``, ``pact_broker_factory``).
"""

from broker.server import BrokerState, PactBrokerServer

__all__ = ["BrokerState", "PactBrokerServer"]
