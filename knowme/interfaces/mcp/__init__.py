"""The MCP server: knowme's tools for other assistants, over stdio or streamable HTTP."""
