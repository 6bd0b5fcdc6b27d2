from ninja import Router

router = Router(tags=["Staff auth"])
