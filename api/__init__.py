"""The faces of execplan: command line, REST and WebSocket API, plan page."""
