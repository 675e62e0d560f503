"""Bank statements matched to transfer payments (issue 5): import, follow-up, matching by hand.

Pages: `bp` under /bank; JSON: `api_bp` under /api/v1/bank. `pos bank-import` is in pos/cli/bank.py."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .access import MANAGERS, current_booth_or_404, roles
from .errors import domain_error_response, http_status
from ..db import unit_of_work
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..models.identity import identity
from ..services import bank_statements as bank
from .templating import flash_error
from .apispec import endpoint

bp = Blueprint("bank", __name__, url_prefix="/bank")
api_bp = Blueprint("bank_api", __name__, url_prefix="/api/v1/bank")

UPLOAD_FIELDS = {"bank", "col_date", "col_credit", "col_amount", "col_description", "col_reference", "csrf_token"}


def _upload():
    """The uploaded file and the mapping fields. Raises InvalidInput for a missing file or an unknown field."""
    unknown = sorted(set(request.form) - UPLOAD_FIELDS)
    if unknown:
        raise InvalidInput(unknown[0], "Trường không được hỗ trợ: %(name)s", name=unknown[0])
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput("file", "Chưa chọn tệp sao kê")
    data = file.read(bank.MAX_FILE_BYTES + 1)
    mapping = {k: request.form.get(k, "") for k in UPLOAD_FIELDS if k.startswith("col_")}
    return file.filename, data, request.form.get("bank", "auto"), mapping


def _page(status=200, error=None, problems=()):
    booth = current_booth_or_404(setup_for_managers=True)
    return render_template("bank/reconciliation.html", rec=bank.reconciliation(db.session, booth),
                           is_demo=identity(db.session).is_demo,
                           choices=bank.mapping_choices(), presets=bank.PRESETS, form=request.form if error else None,
                           error_field=error.field if error else None, problems=problems), status


@bp.get("")
@roles(*MANAGERS)
def reconciliation():
    return _page()


@bp.post("/import")
@roles(*MANAGERS)
def import_statement():
    booth = current_booth_or_404(setup_for_managers=True)
    try:
        filename, data, which, mapping = _upload()
        # Read and check the file first: the write lock is taken only for the inserts.
        read = bank.read_statement(filename, data, bank=which, mapping_data=mapping)
        with unit_of_work(db.session) as s:
            result = bank.import_statement(s, booth, current_user, read, address=request.remote_addr or "")
            statement_id = result.statement.id
    except bank.StatementRejected as err:
        flash_error(err)
        return _page(http_status(err), err, err.problems)
    except DomainError as err:
        flash_error(err)
        return _page(http_status(err), err)
    if result.already_imported:
        flash(_("Sao kê này đã được nhập trước đây: không thêm gì."), "info")
    else:
        flash(_("Đã nhập %(new)s khoản tiền vào (%(repeated)s khoản đã có từ sao kê trước), khớp thêm %(matched)s đơn.",
                new=result.new, repeated=result.repeated, matched=result.matched), "success")
    return redirect(url_for("bank.statement", statement_id=statement_id))


@bp.get("/sample.xlsx")
@roles(*MANAGERS)
def sample_statement():
    """A made-up statement for the demo booth's transfers (the demo database only)."""
    booth = current_booth_or_404(setup_for_managers=True)
    if not identity(db.session).is_demo:
        abort(404)
    data = bank.sample_statement_xlsx(db.session, booth)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="sao-ke-mau-vcb.xlsx"'})


@bp.get("/statements/<int:statement_id>")
@roles(*MANAGERS)
def statement(statement_id):
    booth = current_booth_or_404(setup_for_managers=True)
    return render_template("bank/statement.html", statement=bank.get_statement(db.session, booth, statement_id))


@bp.post("/credits/<int:credit_id>/<any(match, unmatch):action>")
@roles(*MANAGERS)
def credit_action(credit_id, action):
    booth = current_booth_or_404(setup_for_managers=True)
    try:
        with unit_of_work(db.session) as s:
            if action == "match":
                bank.match_by_hand(s, booth, current_user, credit_id, request.form.get("payment_id"),
                                   request.form.get("note", ""), address=request.remote_addr or "")
            else:
                bank.unmatch(s, booth, current_user, credit_id, request.form.get("note", ""),
                             address=request.remote_addr or "")
    except DomainError as err:
        flash_error(err)
        return _page(http_status(err), err)
    flash(_("Đã khớp khoản tiền với đơn.") if action == "match" else _("Đã bỏ khớp."), "success")
    return redirect(url_for("bank.reconciliation"))


# --- JSON -----------------------------------------------------------------------------


def _payment_json(p) -> dict:
    return {"id": p.id, "sale_id": p.sale_id, "receipt_no": p.sale.receipt_no, "amount_vnd": p.amount_vnd,
            "reference": p.reference, "created_at": p.sale.created_at.isoformat() + "Z"}


def _statement_json(st) -> dict:
    return {"id": st.id, "bank": st.bank, "filename": st.filename, "imported_at": st.imported_at.isoformat() + "Z",
            "rows_read": st.rows_read, "credits_new": st.credits_new, "credits_repeated": st.credits_repeated,
            "debits_skipped": st.debits_skipped, "matched_at_import": st.matched_at_import}


@api_bp.errorhandler(bank.StatementRejected)
def statement_rejected(err):
    body, status, headers = domain_error_response(err)
    return dict(body, problems=err.problems), status, headers  # one line per row that could not be read


@api_bp.get("/reconciliation")
@roles(*MANAGERS)
@endpoint("Credits not matched to a sale, transfer payments the bank has not shown, and the matched credits",
          response={"type": "object"}, errors=(404,), tags=["bank"])
def api_reconciliation():
    rec = bank.reconciliation(db.session, current_booth_or_404(setup_for_managers=True))
    return jsonify(unmatched_credits=[dict(bank.credit_json(r.credit), hint=r.hint) for r in rec.unmatched_credits],
                   unmatched_payments=[_payment_json(p) for p in rec.unmatched_payments],
                   matched=[bank.credit_json(c) for c in rec.matched],
                   totals={"unmatched_credits_vnd": rec.unmatched_credits_vnd,
                           "unmatched_payments_vnd": rec.unmatched_payments_vnd, "matched_vnd": rec.matched_vnd})


_UPLOAD_BODY = {
    "type": "object", "required": ["file"], "additionalProperties": False, "properties": {
        "file": {"type": "string", "format": "binary", "description": "the statement, .csv or .xlsx"},
        "bank": {"enum": ["auto", *bank.PRESETS, "custom"], "default": "auto"},
        "col_date": {"type": "string", "description": "custom: the header text of the date column"},
        "col_credit": {"type": "string", "description": "custom: the credit (money in) column"},
        "col_amount": {"type": "string", "description": "custom: a signed amount column (+ in, - out), instead of col_credit"},
        "col_description": {"type": "string", "description": "custom: the message/description column"},
        "col_reference": {"type": "string", "description": "custom, optional: the bank's transaction number"}}}


@api_bp.post("/statements")
@roles(*MANAGERS)
@endpoint("Import a bank statement (CSV or .xlsx) and match its credits to transfer payments by reference and "
          "amount. The same file again adds nothing (200, already_imported); rows that cannot be read refuse the "
          "whole file (422 with `problems`, one per row)", body_schema=_UPLOAD_BODY, body_media="multipart/form-data",
          response={"type": "object"}, status=201, also=(200,), errors=(404,), tags=["bank"])
def api_import_statement():
    booth = current_booth_or_404(setup_for_managers=True)
    filename, data, which, mapping = _upload()
    read = bank.read_statement(filename, data, bank=which, mapping_data=mapping)  # before the write lock
    with unit_of_work(db.session) as s:
        result = bank.import_statement(s, booth, current_user, read, address=request.remote_addr or "")
        out = dict(_statement_json(result.statement), already_imported=result.already_imported, new=result.new,
                   repeated=result.repeated, matched=result.matched)
    return jsonify(out), 200 if result.already_imported else 201


@api_bp.get("/statements/<int:statement_id>")
@roles(*MANAGERS)
@endpoint("One imported statement with its credits", response={"type": "object"}, tags=["bank"])
def api_statement(statement_id):
    st = bank.get_statement(db.session, current_booth_or_404(setup_for_managers=True), statement_id)
    return jsonify(dict(_statement_json(st), credits=[bank.credit_json(c) for c in st.credits]))
