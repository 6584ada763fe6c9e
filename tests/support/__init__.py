"""What the tests share: the server launcher, GraphQL and WebSocket clients, the load test."""
