"""The SCIM 2.0 endpoint (RFC 7643/7644) at ``/scim/v2/``.

Every route: a bearer token names the organisation (no token, an unknown or a revoked one: 401
with ``WWW-Authenticate: Bearer``), the handler runs inside that organisation's scope, and any
refusal is a SCIM error body with its status. No CSRF (no cookies are used: the token is the
credential), no sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import Context, PatchOp, ResponseParameters, SCIMException, SearchRequest

from mentorship.identity.models import ScimToken
from mentorship.identity.scim import render, resources, selectors, services, users
from mentorship.identity.scim.filters import group_condition, user_condition
from mentorship.identity.scim.protocol import (
    ScimError,
    error_response,
    json_response,
    not_found,
    parse,
    read_json,
    refuse_nul,
)
from mentorship.identity.tokens import scim_token_for_bearer
from mentorship.tenancy import tenant_scope
from mentorship.web import error_text

Handler = Callable[..., HttpResponse]
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ROUTE_NAMES = {"User": "scim_user", "Group": "scim_group"}


def _bearer(request: HttpRequest) -> ScimToken | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return scim_token_for_bearer(credentials.strip())


def _endpoint(handlers: dict[str, Handler]) -> Callable[..., HttpResponse]:
    """A SCIM route answering the methods in ``handlers`` (405 for the others)."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        token = _bearer(request)
        if token is None:
            return error_response(ScimError(401, "A valid bearer token is required."))
        handler = handlers.get(request.method or "")
        if handler is None:
            response = error_response(ScimError(405, f"{request.method} is not supported here."))
            response["Allow"] = ", ".join(handlers)
            return response
        # A write reads its row locked and changes it in one transaction: two directory
        # requests for the same user (Entra sends them in parallel) apply one after the other.
        atomic = transaction.atomic() if request.method != "GET" else nullcontext()
        try:
            with tenant_scope(token.organization), atomic:
                return handler(request, token, **kwargs)
        except ScimError as exc:
            return error_response(exc)
        except RequestDataTooBig:
            return error_response(ScimError(413, "The request body is too large."))
        except ValidationError as exc:
            return error_response(ScimError(400, error_text(exc), "invalidValue"))

    return view


def _locate(request: HttpRequest) -> render.Locate:
    def locate(resource_type: str, scim_id: str) -> str:
        return request.build_absolute_uri(
            reverse(ROUTE_NAMES[resource_type], kwargs={"scim_id": scim_id})
        )

    return locate


def _response_parameters(request: HttpRequest) -> ResponseParameters:
    wanted = {k: request.GET[k] for k in ("attributes", "excludedAttributes") if k in request.GET}
    refuse_nul(wanted)
    try:
        return ResponseParameters.model_validate(wanted)
    except (SCIMException, ValueError) as exc:
        raise ScimError(400, str(exc)[:300], "invalidValue") from exc


def _search(request: HttpRequest, model: type) -> SearchRequest:
    keys = ("filter", "startIndex", "count", "attributes", "excludedAttributes")
    wanted = refuse_nul({k: request.GET[k] for k in keys if k in request.GET})
    if len(wanted.get("filter", "")) > 2000:
        raise ScimError(400, "The filter is too long.", "invalidFilter")
    return parse(SearchRequest[model], wanted, context=Context.SEARCH_REQUEST)  # type: ignore[valid-type]


def _list(request: HttpRequest, qs: Any, search: SearchRequest, to_resource: Callable) -> dict:
    start = max(search.start_index or 1, 1)
    count = min(
        resources.MAX_RESULTS, resources.MAX_RESULTS if search.count is None else search.count
    )
    count = max(count, 0)
    total = qs.count()
    # Past the end, nothing to read (and an offset too large for the database is never sent).
    rows = list(qs[start - 1 : start - 1 + count]) if count and start <= total else []
    parameters = ResponseParameters(
        attributes=search.attributes, excluded_attributes=search.excluded_attributes
    )
    return {
        "schemas": [LIST_URN],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(rows),
        "Resources": [render.dump(to_resource(row), parameters) for row in rows],
    }


# --- Users ---------------------------------------------------------------------------------------


def _user_body(request: HttpRequest, scim_user: Any, *, status: int = 200) -> HttpResponse:
    resource = render.user_resource(scim_user, _locate(request))
    body = render.dump(resource, _response_parameters(request))
    return json_response(body, status=status, location=resource.meta.location)


def _users_list(request: HttpRequest, token: ScimToken) -> HttpResponse:
    search = _search(request, resources.UserResource)
    qs = selectors.scim_users().order_by("created_at", "id")
    if search.filter:
        qs = qs.filter(user_condition(search.filter.ast))
    locate = _locate(request)
    return json_response(_list(request, qs, search, lambda u: render.user_resource(u, locate)))


def _user_create(request: HttpRequest, token: ScimToken) -> HttpResponse:
    resource = parse(
        resources.UserResource, read_json(request), context=Context.RESOURCE_CREATION_REQUEST
    )
    scim_user = users.scim_user_create(organization=token.organization, resource=resource)
    return _user_body(request, selectors.scim_user_get(scim_id=str(scim_user.scim_id)), status=201)


def _user_get(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    return _user_body(request, selectors.scim_user_get(scim_id=scim_id))


def _user_replace(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    scim_user = selectors.scim_user_get(scim_id=scim_id, for_update=True)
    resource = parse(
        resources.UserResource, read_json(request), context=Context.RESOURCE_REPLACEMENT_REQUEST
    )
    users.scim_user_replace(scim_user=scim_user, resource=resource, locate=_locate(request))
    return _user_body(request, selectors.scim_user_get(scim_id=scim_id))


def _user_patch(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    scim_user = selectors.scim_user_get(scim_id=scim_id, for_update=True)
    patch = parse(
        PatchOp[resources.UserResource], read_json(request), context=Context.RESOURCE_PATCH_REQUEST
    )
    users.scim_user_patch(scim_user=scim_user, patch=patch, locate=_locate(request))
    return _user_body(request, selectors.scim_user_get(scim_id=scim_id))


def _user_delete(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    users.scim_user_delete(scim_user=selectors.scim_user_get(scim_id=scim_id, for_update=True))
    return HttpResponse(status=204)


users_collection = _endpoint({"GET": _users_list, "POST": _user_create})
user_detail = _endpoint(
    {"GET": _user_get, "PUT": _user_replace, "PATCH": _user_patch, "DELETE": _user_delete}
)


# --- Groups --------------------------------------------------------------------------------------


def _group_body(request: HttpRequest, scim_id: str, *, status: int = 200) -> HttpResponse:
    group = selectors.scim_group_get(scim_id=scim_id)
    resource = render.group_resource(group, _locate(request))
    body = render.dump(resource, _response_parameters(request))
    return json_response(body, status=status, location=resource.meta.location)


def _groups_list(request: HttpRequest, token: ScimToken) -> HttpResponse:
    search = _search(request, resources.GroupResource)
    qs = selectors.scim_groups().order_by("display_name", "id")
    if search.filter:
        qs = qs.filter(group_condition(search.filter.ast))
    locate = _locate(request)
    return json_response(_list(request, qs, search, lambda g: render.group_resource(g, locate)))


def _group_create(request: HttpRequest, token: ScimToken) -> HttpResponse:
    resource = parse(
        resources.GroupResource, read_json(request), context=Context.RESOURCE_CREATION_REQUEST
    )
    group = services.scim_group_create(organization=token.organization, resource=resource)
    return _group_body(request, str(group.scim_id), status=201)


def _group_get(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    return _group_body(request, scim_id)


def _group_replace(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    group = selectors.scim_group_get(scim_id=scim_id, for_update=True)
    resource = parse(
        resources.GroupResource, read_json(request), context=Context.RESOURCE_REPLACEMENT_REQUEST
    )
    services.scim_group_replace(group=group, resource=resource, locate=_locate(request))
    return _group_body(request, scim_id)


def _group_patch(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    group = selectors.scim_group_get(scim_id=scim_id, for_update=True)
    patch = parse(
        PatchOp[resources.GroupResource],
        resources.without_member_display(read_json(request)),
        context=Context.RESOURCE_PATCH_REQUEST,
    )
    services.scim_group_patch(group=group, patch=patch, locate=_locate(request))
    return _group_body(request, scim_id)


def _group_delete(request: HttpRequest, token: ScimToken, scim_id: str) -> HttpResponse:
    services.scim_group_delete(group=selectors.scim_group_get(scim_id=scim_id, for_update=True))
    return HttpResponse(status=204)


groups_collection = _endpoint({"GET": _groups_list, "POST": _group_create})
group_detail = _endpoint(
    {"GET": _group_get, "PUT": _group_replace, "PATCH": _group_patch, "DELETE": _group_delete}
)


# --- Discovery (RFC 7644 §4) ---------------------------------------------------------------------


def _discovery_meta(request: HttpRequest, resource_type: str, route: str, **kwargs: str) -> dict:
    return {
        "resourceType": resource_type,
        "location": request.build_absolute_uri(reverse(route, kwargs=kwargs or None)),
    }


def _service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    body = resources.dump(resources.service_provider_config())
    body["meta"] = _discovery_meta(request, "ServiceProviderConfig", "scim_service_provider_config")
    return json_response(body)


def _resource_type_body(request: HttpRequest, resource_type: Any) -> dict:
    body = resources.dump(resource_type)
    body["meta"] = _discovery_meta(
        request, "ResourceType", "scim_resource_type", name=str(resource_type.id)
    )
    return body


def _listed(bodies: list[dict]) -> dict:
    return {
        "schemas": [LIST_URN],
        "totalResults": len(bodies),
        "startIndex": 1,
        "itemsPerPage": len(bodies),
        "Resources": bodies,
    }


def _resource_types(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return json_response(
        _listed([_resource_type_body(request, t) for t in resources.resource_types()])
    )


def _resource_type(request: HttpRequest, token: ScimToken, name: str) -> HttpResponse:
    for resource_type in resources.resource_types():
        if resource_type.id == name:
            return json_response(_resource_type_body(request, resource_type))
    raise not_found()


def _schema_body(request: HttpRequest, schema: Any) -> dict:
    body = resources.dump(schema)
    body["meta"] = _discovery_meta(request, "Schema", "scim_schema", schema_id=str(schema.id))
    return body


def _schemas(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return json_response(_listed([_schema_body(request, s) for s in resources.schemas()]))


def _schema(request: HttpRequest, token: ScimToken, schema_id: str) -> HttpResponse:
    for schema in resources.schemas():
        if schema.id == schema_id:
            return json_response(_schema_body(request, schema))
    raise not_found()


def _search_everything(request: HttpRequest, token: ScimToken) -> HttpResponse:
    # RFC 7644 §3.4.3's search across resource types: not offered (filter each collection).
    raise ScimError(501, "Searching several resource types at once is not supported.")


def _no_such_route(request: HttpRequest, token: ScimToken, **kwargs: str) -> HttpResponse:
    raise not_found()


service_provider_config = _endpoint({"GET": _service_provider_config})
resource_types_collection = _endpoint({"GET": _resource_types})
resource_type_detail = _endpoint({"GET": _resource_type})
schemas_collection = _endpoint({"GET": _schemas})
schema_detail = _endpoint({"GET": _schema})
search = _endpoint({"POST": _search_everything})
unknown = _endpoint({m: _no_such_route for m in ("GET", "POST", "PUT", "PATCH", "DELETE")})
