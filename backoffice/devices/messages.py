"""Staff-facing text of the device pages (设备)."""

DEVICES_OFF = ("设备未接入：没有配置 MQTT 消息服务器（LINLI_MQTT_URL），门禁、道闸、表计和报警都不可用，"
               "远程开门无法使用。见 docs/devices.md。")
GATEWAY_DOWN = "设备网关未连接消息服务器（{error}），远程开门暂不可用，请到现场处理。"
GATEWAY_SEPARATE = "设备由独立的 linli devices gateway 进程连接。"
OPENED = "{name} 已开启。"
OPEN_FAILED = "{name} 没有开启：{why}。请到现场处理。"
WHY = {
    "broker": "设备网关未连接，命令无法送达",
    "timeout": "设备没有在规定时间内回应（命令已过期，不会再执行）",
    "refused": "设备拒绝执行（{error}）",
}
NOT_A_GATE = "只有门禁和道闸可以远程开启。"
