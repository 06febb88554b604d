"""The request pipeline every route goes through: authentication, rate limits,
idempotency, request bodies, request deadlines, logs and the error envelope."""
