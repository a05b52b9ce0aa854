"""The staff side of the web server: login, the dashboard's pages and CSV, and its figures."""
