"""The owner-facing payment page (opened from the 缴费 link in WeChat) and the endpoint where payment providers'
notifications arrive. HTTP stops here; workflows.payments does the work."""
