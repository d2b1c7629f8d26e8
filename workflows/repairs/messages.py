"""Owner- and staff-facing Chinese text sent from the repairs and complaints workflows (through the outbox)."""

OWNER_ACCEPTED = "您的报修 {number} 已由{technician}接单，师傅会尽快联系您（电话 {phone}）。"
FRONT_DESK = "物业服务中心前台"  # said when neither the technician nor the community has a phone on file
OWNER_ON_THE_WAY = "您的报修 {number}：{technician}已出发，正在上门处理。"
OWNER_WAITING_PARTS = "您的报修 {number}：需要等配件，到货后师傅马上继续处理。{note}"
OWNER_RESUMED = "您的报修 {number}：配件到了，师傅继续处理。"
OWNER_COMPLETED = ("您的报修 {number} 已修好。请回复“评价 {number} 5”打分（1-5 分，5 分最满意），"
                   "没修好请回复“重修 {number}”。")
FOLLOWER_COMPLETED = "您补充过的报修 {number} 已修好，谢谢您的反馈。还有问题请回复“报修”。"
OWNER_REOPENED = "您的报修 {number} 已重新打开，我们会再安排师傅上门。"
OWNER_CANCELLED = "您的报修 {number} 已取消。{note}"
OWNER_DISPATCHED = "您的报修 {number} 已安排给{technician}，请稍候。"
OWNER_DETAIL_ADDED = "已把您补充的情况加到报修 {number}，师傅能看到。"

TECH_NEW_ORDER = "新工单 {number}（{category}{urgent}）：{location}，{description}。回复“接单 {number}”接单。"
TECH_OWNER_DETAIL = "工单 {number} 业主补充：{text}"
MANAGER_SLA_RESPOND = "超时提醒：报修 {number}（{category}）超过响应时限仍无人接单。"
MANAGER_SLA_RESOLVE = "超时提醒：报修 {number}（{category}）超过完成时限仍未完成。"

COMPLAINT_RECEIVED_STAFF = "新投诉 {number}（{category}）：{description}"
COMPLAINT_REPLIED = ("您的投诉 {number} 有回复：{reply}\n满意请回复“满意 {number}”，"
                     "不满意请回复“不满意 {number}”，我们会请项目经理处理。")
COMPLAINT_ESCALATED_MANAGER = "投诉升级：{number}（{category}）业主不满意，请您亲自跟进。"
COMPLAINT_ESCALATED_OWNER = "您的投诉 {number} 已转给项目经理{manager}跟进，请放心。"
COMPLAINT_CLOSED = "您的投诉 {number} 已处理完毕，谢谢您的反馈。"
MANAGER_SLA_COMPLAINT = "超时提醒：投诉 {number}（{category}）超过 24 小时仍未回复。"
