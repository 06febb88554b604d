"""The JSON API: controllers, wire schemas, presenters and the OpenAPI document."""
