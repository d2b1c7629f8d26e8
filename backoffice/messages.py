"""Staff-facing Chinese text of the back office that is not inside a template."""



FORBIDDEN = "您的岗位没有这个页面的权限。"
NOT_FOUND = "没有找到，可能不属于您负责的小区。"
CSRF_FAILED = "页面已过期或请求来源不明，请刷新页面后再试。"
LOGIN_REQUIRED = "请先登录。"
# The one answer for an unknown username, a wrong password and a locked-out browser alike.
BAD_CREDENTIALS = "用户名或密码不对。连续输错 5 次，这台设备要等 15 分钟才能再试（项目经理可以解锁）。"
RATE_LIMITED = "尝试次数太多，请 10 分钟后再试。"
INACTIVE = "这个账号已停用，请联系管理员。"
LOGGED_OUT = "您已退出登录。"
PASSWORD_CHANGED = "密码已修改。"
PASSWORDS_DIFFER = "两次输入的新密码不一致"
REQUIRED = "必填"

