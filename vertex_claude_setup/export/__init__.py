"""Exports: the audited setup written for other tools (today Terraform), from the state ``plan`` reads.

Sits above ``steps`` like ``compliance``: it reads through the steps' ``read`` (one ``plan``) and turns what it
finds into files, never writing anything to Google. May import everything below it, never ``cli``.
"""
