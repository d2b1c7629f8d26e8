"""Staff-facing Chinese text of the back office that is not inside a template."""

from datetime import datetime

from workflows.clock import local

FORBIDDEN = "您的岗位没有这个页面的权限。"
NOT_FOUND = "没有找到，可能不属于您负责的小区。"
CSRF_FAILED = "页面已过期或请求来源不明，请刷新页面后再试。"
LOGIN_REQUIRED = "请先登录。"
BAD_CREDENTIALS = "用户名或密码不对。"
RATE_LIMITED = "尝试次数太多，请 10 分钟后再试。"
INACTIVE = "这个账号已停用，请联系管理员。"
LOGGED_OUT = "您已退出登录。"
PASSWORD_CHANGED = "密码已修改。"
PASSWORDS_DIFFER = "两次输入的新密码不一致"
REQUIRED = "必填"


def locked_until(moment: datetime) -> str:
    return f"密码错误次数过多，账号已锁定，请在 {local(moment).strftime('%H:%M')} 以后再试，或联系管理员解锁。"


def failures_left(count: int) -> str:
    return f"用户名或密码不对。再错 {count} 次账号将被锁定 15 分钟。"
