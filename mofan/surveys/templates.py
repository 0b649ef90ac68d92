"""Built-in questionnaire templates: a committee starts a questionnaire from one of them."""

from __future__ import annotations

from typing import Any

LEVELS = ["满意", "比较满意", "一般", "不满意"]
SATISFIED = ["满意", "比较满意"]


def _choice(text: str) -> dict[str, Any]:
    return {
        "kind": "single",
        "text": text,
        "options": LEVELS,
        "satisfied": SATISFIED,
        "required": True,
    }


TEMPLATES: dict[str, dict[str, Any]] = {
    "public": {
        "title": "群众满意度测评",
        "intro": "本问卷匿名填写，不记录您的身份信息。感谢您对机关工作的支持！",
        "sections": [
            {
                "title": "对本单位机关工作的评价",
                "questions": [
                    _choice("您对本单位的服务态度是否满意？"),
                    _choice("您对本单位的办事效率是否满意？"),
                    _choice("您对本单位的作风建设是否满意？"),
                    _choice("您对本单位工作人员的廉洁自律是否满意？"),
                ],
            },
            {
                "title": "意见建议",
                "questions": [
                    {
                        "kind": "text",
                        "text": "您对本单位模范机关创建工作有哪些意见建议？",
                        "options": [],
                        "satisfied": [],
                        "required": False,
                    }
                ],
            },
        ],
    },
}
TEMPLATE_CHOICES = [(key, value["title"]) for key, value in TEMPLATES.items()]
