"""The FAQ's system of record: entries staff can edit (and imported document chunks), owners' feedback on answers,
and the questions the bot could not answer (常见问题、反馈、未解答问题)."""
