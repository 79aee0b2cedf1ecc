"""Graph store port and its backends (Neo4j, embedded FalkorDB)."""
