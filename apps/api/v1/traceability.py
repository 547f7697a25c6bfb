"""Traceability register API: battery models, units, shipments, material lots and the bulk import.

One class per operation (list / create / retrieve / update / action), each calling one selector or service.
Lists are cursor-paginated on a unique key (code or reference) and take the same filters as the pages.
Codes are the natural keys an ERP/WMS knows: units refer to parents and models by code, shipments to units by
code, lots to shipments by reference and to lots by code.
"""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.roles import Perm
from apps.api.pagination import CursorPagination
from apps.traceability import importing, selectors, services
from apps.traceability.models import (
    Chemistry,
    CodeScheme,
    CustodyModel,
    Element,
    EuCategory,
    ImportKind,
    ImportStatus,
    LotKind,
    MaterialOrigin,
    ShipmentDirection,
    ShipmentStatus,
    UnitLevel,
    UnitStatus,
)
from apps.traceability.services.imports import render_issue
from apps.traceability.services.shipments import INITIAL_SHIPMENT_STATUSES
from apps.traceability.services.units import RECODE_STATUSES


class CodeCursorPagination(CursorPagination):
    ordering = "code"


class ReferenceCursorPagination(CursorPagination):
    ordering = "reference"


def _not_found():
    from rest_framework.exceptions import NotFound

    return NotFound()


def _access(request):
    return request._request.access


def _filters(*names: str) -> list[OpenApiParameter]:
    return [OpenApiParameter(name, str, required=False) for name in names]


# --- battery models ------------------------------------------------------------------------------

class BatteryModelOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    manufacturer = serializers.CharField()
    eu_category = serializers.CharField()
    chemistry = serializers.CharField()
    rated_capacity_ah = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    rated_energy_kwh = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)
    nominal_voltage_v = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    mass_kg = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)
    manufacturing_plant = serializers.CharField()
    plant_country = serializers.CharField()
    external_storage_only = serializers.BooleanField()
    gtin = serializers.CharField()
    needs_passport = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _BatteryModelFields(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    manufacturer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    eu_category = serializers.ChoiceField(choices=EuCategory.choices)
    chemistry = serializers.ChoiceField(choices=Chemistry.choices)
    rated_capacity_ah = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    rated_energy_kwh = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)
    nominal_voltage_v = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
    mass_kg = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)
    manufacturing_plant = serializers.CharField(max_length=200, required=False, allow_blank=True)
    plant_country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    external_storage_only = serializers.BooleanField(required=False)
    gtin = serializers.CharField(max_length=20, required=False, allow_blank=True)


class BatteryModelListApi(ListAPIView):
    pagination_class = CodeCursorPagination
    serializer_class = BatteryModelOutputSerializer

    @extend_schema(parameters=_filters("q", "eu_category", "chemistry"), operation_id="battery_models_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.battery_model_list(access=_access(self.request), search=params.get("q", ""),
                                            eu_category=params.get("eu_category", ""),
                                            chemistry=params.get("chemistry", ""))


class BatteryModelCreateApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(_BatteryModelFields):
        pass

    @extend_schema(request=InputSerializer, responses={201: BatteryModelOutputSerializer},
                   operation_id="battery_models_create")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        model = services.battery_model_create(access=_access(request), **data.validated_data)
        return Response(BatteryModelOutputSerializer(model).data, status=status.HTTP_201_CREATED)


class BatteryModelDetailApi(APIView):
    @extend_schema(responses=BatteryModelOutputSerializer, operation_id="battery_models_retrieve")
    def get(self, request, model_id):
        model = selectors.battery_model_get(access=_access(request), model_id=model_id)
        if model is None:
            raise _not_found()
        return Response(BatteryModelOutputSerializer(model).data)


class BatteryModelUpdateApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(_BatteryModelFields):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, partial=True, **kwargs)

    @extend_schema(request=InputSerializer, responses=BatteryModelOutputSerializer,
                   operation_id="battery_models_update")
    def patch(self, request, model_id):
        model = selectors.battery_model_get(access=_access(request), model_id=model_id)
        if model is None:
            raise _not_found()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        model = services.battery_model_update(access=_access(request), battery_model=model, data=data.validated_data)
        return Response(BatteryModelOutputSerializer(model).data)


# --- units ------------------------------------------------------------------------------------

class UnitOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    scheme = serializers.CharField()
    gtin = serializers.CharField()
    serial = serializers.CharField()
    level = serializers.CharField()
    parent_code = serializers.SerializerMethodField()
    model_code = serializers.SerializerMethodField()
    status = serializers.CharField()
    manufactured_on = serializers.DateField(allow_null=True)
    original_code = serializers.CharField()
    mass_kg = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_parent_code(self, unit) -> str:
        return unit.parent.code if unit.parent_id else ""

    def get_model_code(self, unit) -> str:
        return unit.model.code if unit.model_id else ""


class UnitListApi(ListAPIView):
    pagination_class = CodeCursorPagination
    serializer_class = UnitOutputSerializer

    @extend_schema(parameters=_filters("q", "level", "status", "scheme", "model"), operation_id="units_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.unit_list(access=_access(self.request), search=params.get("q", ""),
                                   level=params.get("level", ""), status=params.get("status", ""),
                                   scheme=params.get("scheme", ""), model_code=params.get("model", ""))


class UnitCreateApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                     help_text="GB/T 34014 code, (01)GTIN(21)serial, or https://…/01/…/21/…")
        scheme = serializers.ChoiceField(choices=CodeScheme.choices, required=False, allow_blank=True)
        level = serializers.ChoiceField(choices=UnitLevel.choices)
        parent_code = serializers.CharField(max_length=300, required=False, allow_blank=True)
        model_code = serializers.CharField(max_length=64, required=False, allow_blank=True)
        status = serializers.ChoiceField(choices=UnitStatus.choices, required=False, default=UnitStatus.ORIGINAL)
        manufactured_on = serializers.DateField(required=False, allow_null=True)
        original_code = serializers.CharField(max_length=300, required=False, allow_blank=True)
        mass_kg = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)
        gtin = serializers.CharField(max_length=20, required=False, allow_blank=True)
        serial = serializers.CharField(max_length=40, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={201: UnitOutputSerializer}, operation_id="units_create")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("code", "")
        unit = services.unit_create(access=_access(request), **values)
        return Response(UnitOutputSerializer(unit).data, status=status.HTTP_201_CREATED)


class UnitDetailApi(APIView):
    class OutputSerializer(UnitOutputSerializer):
        children = serializers.ListField(child=serializers.CharField())
        shipments = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer, operation_id="units_retrieve")
    def get(self, request, unit_id):
        access = _access(request)
        unit = selectors.unit_get(access=access, unit_id=unit_id)
        if unit is None:
            raise _not_found()
        unit.children_codes = [c.code for c in selectors.unit_children(access=access, unit=unit)]
        unit.shipment_refs = [s.reference for s in selectors.unit_shipments(access=access, unit=unit)]
        body = UnitOutputSerializer(unit).data
        body.update(children=unit.children_codes, shipments=unit.shipment_refs)
        return Response(body)


class UnitUpdateApi(APIView):
    """Hierarchy, model, manufacture date and mass; the code changes only by re-coding, the status by its
    own operation."""

    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        parent_code = serializers.CharField(max_length=300, required=False, allow_blank=True)
        model_code = serializers.CharField(max_length=64, required=False, allow_blank=True)
        manufactured_on = serializers.DateField(required=False, allow_null=True)
        mass_kg = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses=UnitOutputSerializer, operation_id="units_update")
    def patch(self, request, unit_id):
        unit = selectors.unit_get(access=_access(request), unit_id=unit_id)
        if unit is None:
            raise _not_found()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = services.unit_update(access=_access(request), unit=unit, data=data.validated_data)
        return Response(UnitOutputSerializer(unit).data)


class UnitRecodeApi(APIView):
    """Cascade-use re-coding: the unit gets a new code and keeps its original code."""

    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        new_code = serializers.CharField(max_length=300)
        scheme = serializers.ChoiceField(choices=CodeScheme.choices, required=False, allow_blank=True)
        status = serializers.ChoiceField(choices=[(s.value, s.label) for s in RECODE_STATUSES],
                                         default=UnitStatus.REPURPOSED)
        gtin = serializers.CharField(max_length=20, required=False, allow_blank=True)
        serial = serializers.CharField(max_length=40, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=UnitOutputSerializer, operation_id="units_recode")
    def post(self, request, unit_id):
        unit = selectors.unit_get(access=_access(request), unit_id=unit_id)
        if unit is None:
            raise _not_found()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = services.unit_recode(access=_access(request), unit=unit, **data.validated_data)
        return Response(UnitOutputSerializer(unit).data)


class UnitStatusApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=UnitStatus.choices)

    @extend_schema(request=InputSerializer, responses=UnitOutputSerializer, operation_id="units_status")
    def post(self, request, unit_id):
        unit = selectors.unit_get(access=_access(request), unit_id=unit_id)
        if unit is None:
            raise _not_found()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = services.unit_status_change(access=_access(request), unit=unit, status=data.validated_data["status"])
        return Response(UnitOutputSerializer(unit).data)


# --- shipments --------------------------------------------------------------------------------

class MassSerializer(serializers.Serializer):
    chemistry = serializers.ChoiceField(choices=Chemistry.choices)
    net_mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)


class ShipmentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    direction = serializers.CharField()
    status = serializers.CharField()
    counterparty_organisation_id = serializers.UUIDField(allow_null=True)
    counterparty_name = serializers.CharField()
    counterparty_country = serializers.CharField()
    counterparty_registration_id = serializers.CharField()
    origin_country = serializers.CharField()
    destination_country = serializers.CharField()
    hs_code = serializers.CharField()
    un_number = serializers.CharField()
    special_provision = serializers.CharField()
    packing_instruction = serializers.CharField()
    is_waste = serializers.BooleanField()
    waste_code = serializers.CharField()
    dispatch_date = serializers.DateField(allow_null=True)
    arrival_date = serializers.DateField(allow_null=True)
    notes = serializers.CharField()
    masses = MassSerializer(many=True, source="masses.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ShipmentListOutputSerializer(ShipmentOutputSerializer):
    masses = None
    unit_count = serializers.IntegerField()


class _ShipmentFields(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    direction = serializers.ChoiceField(choices=ShipmentDirection.choices)
    counterparty_platform = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                                  help_text="Cellpass address of a counterparty on the platform")
    counterparty_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    counterparty_country = serializers.CharField(max_length=20, required=False, allow_blank=True)
    counterparty_registration_id = serializers.CharField(max_length=40, required=False, allow_blank=True)
    origin_country = serializers.CharField(max_length=20, required=False, allow_blank=True)
    destination_country = serializers.CharField(max_length=20, required=False, allow_blank=True)
    hs_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    un_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    special_provision = serializers.CharField(max_length=20, required=False, allow_blank=True)
    packing_instruction = serializers.CharField(max_length=10, required=False, allow_blank=True)
    is_waste = serializers.BooleanField(required=False)
    waste_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    dispatch_date = serializers.DateField(required=False, allow_null=True)
    arrival_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    unit_codes = serializers.ListField(child=serializers.CharField(max_length=300), required=False,
                                       max_length=100_000)
    masses = MassSerializer(many=True, required=False)


def _masses(items) -> dict:
    return {item["chemistry"]: item["net_mass_kg"] for item in items}


class ShipmentListApi(ListAPIView):
    pagination_class = ReferenceCursorPagination
    serializer_class = ShipmentListOutputSerializer

    @extend_schema(parameters=_filters("q", "direction", "status"), operation_id="shipments_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.shipment_list(access=_access(self.request), search=params.get("q", ""),
                                       direction=params.get("direction", ""), status=params.get("status", ""))


class ShipmentCreateApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(_ShipmentFields):
        status = serializers.ChoiceField(choices=[(s.value, s.label) for s in INITIAL_SHIPMENT_STATUSES],
                                         default=ShipmentStatus.DRAFT)

    @extend_schema(request=InputSerializer, responses={201: ShipmentOutputSerializer}, operation_id="shipments_create")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        shipment = services.shipment_create(access=_access(request), unit_codes=values.pop("unit_codes", []),
                                            masses=_masses(values.pop("masses", [])), **values)
        return Response(ShipmentOutputSerializer(shipment).data, status=status.HTTP_201_CREATED)


class ShipmentDetailApi(APIView):
    class OutputSerializer(ShipmentOutputSerializer):
        unit_count = serializers.IntegerField()
        lots = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer, operation_id="shipments_retrieve")
    def get(self, request, shipment_id):
        access = _access(request)
        shipment = selectors.shipment_get(access=access, shipment_id=shipment_id)
        if shipment is None:
            raise _not_found()
        body = ShipmentOutputSerializer(shipment).data
        body["unit_count"] = selectors.shipment_units(access=access, shipment=shipment).count()
        body["lots"] = [lot.code for lot in selectors.shipment_lots(access=access, shipment=shipment)]
        return Response(body)


class ShipmentUnitListApi(ListAPIView):
    pagination_class = CodeCursorPagination
    serializer_class = UnitOutputSerializer

    @extend_schema(operation_id="shipments_units_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        access = _access(self.request)
        shipment = selectors.shipment_get(access=access, shipment_id=self.kwargs["shipment_id"])
        if shipment is None:
            raise _not_found()
        return selectors.shipment_units(access=access, shipment=shipment)


class ShipmentUpdateApi(APIView):
    """Fields, and (when given) the full list of unit codes and masses; frozen once closed or cancelled, units
    and masses of an outbound shipment frozen once dispatched."""

    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(_ShipmentFields):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, partial=True, **kwargs)

    @extend_schema(request=InputSerializer, responses=ShipmentOutputSerializer, operation_id="shipments_update")
    def patch(self, request, shipment_id):
        shipment = selectors.shipment_get(access=_access(request), shipment_id=shipment_id)
        if shipment is None:
            raise _not_found()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit_codes = values.pop("unit_codes", None)
        masses = values.pop("masses", None)
        shipment = services.shipment_update(access=_access(request), shipment=shipment, data=values,
                                            unit_codes=unit_codes,
                                            masses=_masses(masses) if masses is not None else None)
        shipment = selectors.shipment_get(access=_access(request), shipment_id=shipment.pk)
        return Response(ShipmentOutputSerializer(shipment).data)


class ShipmentStatusApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=ShipmentStatus.choices)

    @extend_schema(request=InputSerializer, responses=ShipmentOutputSerializer, operation_id="shipments_status")
    def post(self, request, shipment_id):
        shipment = selectors.shipment_get(access=_access(request), shipment_id=shipment_id)
        if shipment is None:
            raise _not_found()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = services.shipment_status_change(access=_access(request), shipment=shipment,
                                                   status=data.validated_data["status"])
        return Response(ShipmentOutputSerializer(shipment).data)


# --- lots -------------------------------------------------------------------------------------

class ElementSerializer(serializers.Serializer):
    element = serializers.ChoiceField(choices=Element.choices)
    percent = serializers.DecimalField(max_digits=7, decimal_places=4)
    assay_revision_id = serializers.UUIDField(required=False, allow_null=True)


class LotOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    kind = serializers.CharField()
    mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    produced_on = serializers.DateField(allow_null=True)
    origin = serializers.CharField()
    custody_model = serializers.CharField()
    notes = serializers.CharField()
    elements = ElementSerializer(many=True, source="elements.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _LotFields(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=LotKind.choices)
    mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    produced_on = serializers.DateField(required=False, allow_null=True)
    origin = serializers.ChoiceField(choices=MaterialOrigin.choices, required=False)
    custody_model = serializers.ChoiceField(choices=CustodyModel.choices, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    elements = ElementSerializer(many=True, required=False)
    source_shipments = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    source_lots = serializers.ListField(child=serializers.CharField(max_length=64), required=False)


class LotListApi(ListAPIView):
    pagination_class = CodeCursorPagination
    serializer_class = LotOutputSerializer

    @extend_schema(parameters=_filters("q", "kind", "origin"), operation_id="lots_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.lot_list(access=_access(self.request), search=params.get("q", ""),
                                  kind=params.get("kind", ""), origin=params.get("origin", ""))


class LotCreateApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(_LotFields):
        pass

    @extend_schema(request=InputSerializer, responses={201: LotOutputSerializer}, operation_id="lots_create")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lot = services.lot_create(access=_access(request), **data.validated_data)
        lot = selectors.lot_get(access=_access(request), lot_id=lot.pk)
        return Response(LotOutputSerializer(lot).data, status=status.HTTP_201_CREATED)


class LotDetailApi(APIView):
    class OutputSerializer(LotOutputSerializer):
        source_shipments = serializers.ListField(child=serializers.CharField())
        source_lots = serializers.ListField(child=serializers.CharField())
        derived_lots = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer, operation_id="lots_retrieve")
    def get(self, request, lot_id):
        access = _access(request)
        lot = selectors.lot_get(access=access, lot_id=lot_id)
        if lot is None:
            raise _not_found()
        shipments, lots = selectors.lot_sources(access=access, lot=lot)
        body = LotOutputSerializer(lot).data
        body.update(source_shipments=[s.reference for s in shipments], source_lots=[m.code for m in lots],
                    derived_lots=[m.code for m in selectors.lot_derived(access=access, lot=lot)])
        return Response(body)


class LotUpdateApi(APIView):
    required_permission = Perm.REGISTER_EDIT

    class InputSerializer(_LotFields):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, partial=True, **kwargs)

    @extend_schema(request=InputSerializer, responses=LotOutputSerializer, operation_id="lots_update")
    def patch(self, request, lot_id):
        lot = selectors.lot_get(access=_access(request), lot_id=lot_id)
        if lot is None:
            raise _not_found()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lot = services.lot_update(access=_access(request), lot=lot, data=values,
                                  elements=values.pop("elements", None),
                                  source_shipments=values.pop("source_shipments", None),
                                  source_lots=values.pop("source_lots", None))
        return Response(LotOutputSerializer(selectors.lot_get(access=_access(request), lot_id=lot.pk)).data)


# --- import -----------------------------------------------------------------------------------

class ImportOutputSerializer(serializers.Serializer):
    class IssueSerializer(serializers.Serializer):
        row = serializers.IntegerField(allow_null=True)
        column = serializers.CharField()
        column_label = serializers.CharField()
        code = serializers.CharField()
        severity = serializers.CharField()
        message = serializers.CharField()

    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    filename = serializers.CharField()
    file_format = serializers.CharField()
    encoding = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    rows_total = serializers.IntegerField()
    records_new = serializers.IntegerField()
    records_unchanged = serializers.IntegerField()
    error_count = serializers.IntegerField()
    warning_count = serializers.IntegerField()
    progress = serializers.SerializerMethodField()
    issues = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    committed_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, batch) -> int:
        return services.import_progress(batch) if batch.status == ImportStatus.COMMITTING else 0

    def get_issues(self, batch) -> list[dict]:
        return [{"row": item.get("row"), "column": item.get("column") or "",
                 "column_label": importing.column_label(batch.kind, item.get("column") or ""),
                 "code": item["code"], "severity": item.get("severity", ""),
                 "message": render_issue(batch.kind, item)} for item in batch.report]


class ImportDryRunApi(APIView):
    """Upload a CSV or XLSX file of units or shipments and get the check report; nothing is stored in the
    register. Commit the import (by its id) when `status` is `validated`."""

    required_permission = Perm.REGISTER_IMPORT
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=ImportKind.choices)
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: ImportOutputSerializer},
                   operation_id="imports_dry_run")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        batch = services.import_dry_run(access=_access(request), kind=data.validated_data["kind"], file=upload,
                                        filename=upload.name)
        return Response(ImportOutputSerializer(batch).data, status=status.HTTP_201_CREATED)


class ImportDetailApi(APIView):
    required_permission = Perm.REGISTER_IMPORT

    @extend_schema(responses=ImportOutputSerializer, operation_id="imports_retrieve")
    def get(self, request, batch_id):
        batch = selectors.import_batch_get(access=_access(request), batch_id=batch_id)
        if batch is None:
            raise _not_found()
        return Response(ImportOutputSerializer(batch).data)


class ImportCommitApi(APIView):
    """Commit a checked import, all or nothing: 200 when done (status `committed`, or `failed` when the register
    changed since the check), 202 while a large file is committed by the worker (poll the import)."""

    required_permission = Perm.REGISTER_IMPORT

    @extend_schema(request=None, responses={200: ImportOutputSerializer, 202: ImportOutputSerializer},
                   operation_id="imports_commit")
    def post(self, request, batch_id):
        batch = selectors.import_batch_get(access=_access(request), batch_id=batch_id)
        if batch is None:
            raise _not_found()
        batch = services.import_commit(access=_access(request), batch=batch)
        code = status.HTTP_202_ACCEPTED if batch.status == ImportStatus.COMMITTING else status.HTTP_200_OK
        return Response(ImportOutputSerializer(batch).data, status=code)
