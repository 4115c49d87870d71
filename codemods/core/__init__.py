"""Shared machinery every family uses: rules, the family protocol, receiver evidence, imports, await sites, house style."""
