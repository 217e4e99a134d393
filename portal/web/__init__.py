"""Blueprints: thin views only (parse, call one domain function, render)."""
