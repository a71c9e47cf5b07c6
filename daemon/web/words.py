"""The words the pages use for the daemon's and the store's values (step actions and
reasons, why a step ended, devices), in the provider's Russian."""
from __future__ import annotations

ACTIONS = {"ring": "Звонок", "announce": "Объявление", "voicemail": "Голосовая почта", "message": "Сообщение",
           "hangup": "Отбой"}
REASONS = {"direct": "прямой вызов", "working": "рабочее время", "department": "вызов отдела",
           "no_answer": "не ответили", "off_hours": "нерабочее время", "absent": "отсутствие", "busy": "занято",
           "unregistered": "телефон не подключён", "no_one_available": "никого нет на месте",
           "unknown_number": "неизвестный номер", "forward_to_mobile": "переадресация на мобильный",
           "dnd": "не беспокоить", "recording": "разговор может быть записан",
           "loop": "переадресация по кругу", "max_forwards": "слишком много переадресаций"}
ENDED = {"answered": "ответили", "no_answer": "никто не ответил", "busy": "занято", "rejected": "отклонён",
         "unregistered": "телефон не подключён", "caller_hung_up": "звонящий положил трубку", "ended": "завершён",
         "played": "проиграно", "failed": "ошибка", "hangup": "отбой",
         "unknown": "неизвестно: связь с FreeSWITCH прервалась"}
DEVICES = {"office": "рабочий телефон", "mobile": "мобильный"}
