"""Privacy actions on a customer's page (admin only): download everything held about
them, or erase them after typing their id to confirm."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from server.csrf import csrf_problem
from server.web.operations import run_operation
from server.web.roles import role_refusal
from server.web.templating import render, render_error

EXPORT = "query CustomerExport($id: ID!) { customerDataExport(id: $id) }"
ERASE = """
mutation EraseCustomer($id: ID!) { eraseCustomer(id: $id) {
  __typename
  ... on CustomerErased { id rows tables campaigns }
  ... on ErasureRefused { message } } }
"""


async def export_customer(request: Request) -> Response:
    refused = role_refusal(request, "admin", "Exporting a customer's data")
    if refused:
        return refused
    customer_id = request.path_params["customer_id"]
    data = (await run_operation(request, EXPORT, {"id": customer_id}))["customerDataExport"]
    if data is None:
        return render_error(request, 404, "No such customer",
                            f"No customer has id {customer_id!r}. Search on /customers.")
    # The id goes into a header only as a fixed name: ids may hold any character.
    return Response(json.dumps(data, indent=2, sort_keys=True),
                    media_type="application/json", headers={
                        "Content-Disposition": 'attachment; filename="customer-export.json"',
                        "Cache-Control": "no-store"})


async def erase_customer(request: Request) -> Response:
    refused = role_refusal(request, "admin", "Erasing a customer")
    if refused:
        return refused
    form = await request.form()
    problem = csrf_problem(request, form)
    if problem:
        return render_error(request, 403, "Form expired", problem)
    customer_id = request.path_params["customer_id"]
    if str(form.get("confirm", "")).strip() != customer_id:
        return render_error(request, 422, "Not erased",
                            f"Type the customer's id ({customer_id}) in the confirmation "
                            "box to erase them; nothing was erased.")
    result = (await run_operation(request, ERASE, {"id": customer_id}))["eraseCustomer"]
    if result["__typename"] != "CustomerErased":
        return render_error(request, 409, "Not erased", result["message"])
    return render(request, "customer_erased.html", {"erased": result})
