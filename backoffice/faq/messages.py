"""Staff-facing Chinese text of the 常见问题 section (templates hold the rest)."""

REQUIRED = "必填"
TOO_LONG = "太长了，最多 {limit} 个字"
TOO_MANY_ALTERNATIVES = "最多 {limit} 种问法，每行一种"
SHARED_ADMIN_ONLY = "全部小区共用的问题只有管理员可以修改。"
BAD_MONTH = "月份格式不对，例如 2026-11"
CREATED = "已添加，机器人现在就能回答这个问题了。"
UPDATED = "已保存，机器人现在就按新的答案回答。"
DELETED = "已删除，机器人不会再用这条回答。"
NOT_INDEXED = "已保存，但搜索索引暂未更新，请稍后运行 linli kb reindex。"
SHARED = "全部小区共用"
KIND_DOC = "文档"
REASONS = {"unknown": "没找到答案", "unhelpful": "回答没帮助", "handover": "转人工"}
