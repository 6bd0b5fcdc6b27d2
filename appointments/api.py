from ninja import Router

public_router = Router(tags=["Booking"])
admin_router = Router(tags=["Appointments"])
