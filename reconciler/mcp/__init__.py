"""`sesctl mcp`: SES for AI agents through the Model Context Protocol, safe by default.

An agent gets the tools a team's email work needs — send a template to a list, manage
templates, configure event destinations, read statistics, plan, validate, doctor — on
sesctl's own engines, and no more than the operator allowed: sending needs `--allow-send` (and
at most `--max-recipients` a call), configuration changes edit the team's YAML file
(`--config`, comments kept) and reach SES only with `--allow-apply`. models.py holds the
tools' schemas, tools.py what they do, server.py the protocol (the official MCP SDK).
"""
