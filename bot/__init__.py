"""The WeChat channel, the dialog engine, intent routing and the dialogs. Imports workflows, knowledge, devices."""
