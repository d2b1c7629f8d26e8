"""The WeChat channel (公众号): the /wechat webhook, the access token, outbox delivery and the custom menu.

XML, signatures and WeChat's JSON stop here; the rest of the bot sees bot.messages.Inbound and Reply.
"""
