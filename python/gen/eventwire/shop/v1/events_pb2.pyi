from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderCreatedEvent(_message.Message):
    __slots__ = ["items", "order_id", "total", "user_id"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[OrderItem]
    order_id: str
    total: float
    user_id: str
    def __init__(self, order_id: _Optional[str] = ..., user_id: _Optional[str] = ..., total: _Optional[float] = ..., items: _Optional[_Iterable[_Union[OrderItem, _Mapping]]] = ...) -> None: ...

class OrderItem(_message.Message):
    __slots__ = ["name", "price", "product_id", "quantity"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    price: float
    product_id: str
    quantity: int
    def __init__(self, product_id: _Optional[str] = ..., name: _Optional[str] = ..., price: _Optional[float] = ..., quantity: _Optional[int] = ...) -> None: ...

class OrderShippedEvent(_message.Message):
    __slots__ = ["carrier", "order_id", "tracking_number"]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    carrier: str
    order_id: str
    tracking_number: str
    def __init__(self, order_id: _Optional[str] = ..., tracking_number: _Optional[str] = ..., carrier: _Optional[str] = ...) -> None: ...

class PaymentProcessedEvent(_message.Message):
    __slots__ = ["amount", "order_id", "payment_id", "status"]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    amount: float
    order_id: str
    payment_id: str
    status: str
    def __init__(self, payment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount: _Optional[float] = ..., status: _Optional[str] = ...) -> None: ...
