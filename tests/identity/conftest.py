from tests.identity.engines import engine

__all__ = ["engine"]
