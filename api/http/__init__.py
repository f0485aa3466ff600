"""The HTTP and WebSocket service: app, routes, authentication, guards, events, background builds
and the plan page."""
