"""Shared machinery every family uses: rules, the family protocol, receiver evidence, imports, house style."""
