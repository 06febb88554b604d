"""The accounts the browser tests' server starts with (its bootstrap admin) and the password
every test account uses."""

ADMIN_EMAIL = "root@paygate.example"
PASSWORD = "s3cret-pass"
