"""Reports: the booth's daily report, settlement statements, closing the fair, the organiser's
dashboard with its drill-down and fair comparison, catalogue import and barcode labels.

Pages: `bp` under /reports; each also gives its tables as Excel (.xlsx) and CSV (?format=xlsx|csv,
web/reporting.py). JSON: `api_bp` under /api/v1/reports, calling the same services. The `pos report`
commands are in pos/cli/reports.py.
"""
from __future__ import annotations

from datetime import date

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from .access import MANAGERS, current_booth_or_404, roles
from ..db import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..models import Booth
from ..services import booths, catalogue, imports, labels, print_queue
from ..services.reporting import charts, closing, exports, producer_payments, reports, settlement
from ..services import validate
from .templating import flash_error
from ..money import format_percent_bp
from ..timeutil import local_today
from . import schemas as sc
from .apispec import endpoint
from .forms import arg_id, arg_page, refused
from .reporting import download, pick_tables, statement_json, wanted_format

bp = Blueprint("reports", __name__, url_prefix="/reports")
api_bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")

ORGANISER = ("organiser",)


# --- shared by the pages ---

def report_booth() -> Booth:
    """The booth a report is about: a manager's own booth; an organiser may name any (?booth_id)."""
    booth_id = arg_id("booth_id")
    if booth_id and current_user.role == "organiser":
        return reports.get_booth(db.session, booth_id)
    booth = booths.current_booth(db.session)
    if booth is None and current_user.booth_id:
        booth = db.session.get(Booth, current_user.booth_id)
    if booth is None and current_user.role == "organiser":
        # A hub serves no booth of its own: open on the newest fair's first booth.
        fair = reports.default_fair(db.session, None)
        booth = fair.booths[0] if fair and fair.booths else None
    if booth is None:
        abort(404)
    return booth


# --- the booth's daily report ---

@bp.route("/daily")
@roles(*MANAGERS)
def daily():
    booth = report_booth()
    days = reports.sale_days(db.session, booth)
    try:
        day = reports.parse_day(request.args.get("day")) or (days[0] if days and local_today() not in days
                                                            else local_today())
    except DomainError as err:
        return refused("reports/daily.html", err, booth=booth, report=None, days=days,
                            booths=_booth_choices(), day_text=request.args.get("day", ""))
    report = reports.daily_report(db.session, booth, day)
    if (fmt := wanted_format()):
        return download(pick_tables(reports.daily_tables(report)), fmt, _("Báo cáo ngày"), booth.code,
                        day.isoformat())
    return render_template("reports/daily.html", booth=booth, report=report, days=days, booths=_booth_choices(),
                           day_text=day.strftime("%d/%m/%Y"), error_field=None)


def _booth_choices() -> list[Booth]:
    return booths.list_booths(db.session) if current_user.role == "organiser" else []


# --- settlement statements ---

@bp.route("/settlements")
@roles(*MANAGERS)
def settlements():
    booth = report_booth()
    statements = settlement.booth_statements(db.session, booth)
    if (fmt := wanted_format()):
        return download([settlement.booth_summary_table(statements, booth)], fmt, _("Quyết toán"), booth.code)
    return render_template("reports/settlements.html", booth=booth, statements=statements, booths=_booth_choices())


@bp.route("/settlements/<int:producer_id>")
@roles(*MANAGERS)
def statement(producer_id):
    booth = report_booth()
    st = settlement.statement(db.session, booth, producer_id)
    if (fmt := wanted_format()):
        return download(settlement.statement_tables(st), fmt, _("Quyết toán"), booth.code, st.producer.name)
    return render_template("reports/statement.html", st=st, booth=booth, can_record=True,
                           auto_print=request.args.get("print") == "1", form=None, error_field=None,
                           today=local_today(), payment_link=_payment_link)


def _payment_link(payment) -> str:
    return url_for("reports.payment_slip", payment_id=payment.id)


# --- paying producers ---

def _booth_args(booth: Booth) -> dict:
    return {"booth_id": booth.id} if current_user.role == "organiser" else {}


@bp.post("/settlements/<int:producer_id>/payments")
@roles(*MANAGERS)
def record_payment(producer_id):
    """Record money paid to the producer against its statement, then show the payment slip to sign."""
    booth = report_booth()
    form = {k: request.form.get(k, "") for k in ("method", "amount_vnd", "paid_on", "reference", "received_by",
                                                  "note")}
    try:
        with unit_of_work(db.session) as s:
            payment = producer_payments.record_payment(s, s.get(Booth, booth.id), current_user, producer_id, form)
            payment_id = payment.id
    except DomainError as err:
        st = settlement.statement(db.session, booth, producer_id)
        return refused("reports/statement.html", err, st=st, booth=booth, can_record=True, auto_print=False,
                            form=form, today=local_today(), payment_link=_payment_link)
    flash(_("Đã ghi khoản chi trả cho chủ thể. In phiếu chi để hai bên ký."), "success")
    return redirect(url_for("reports.payment_slip", payment_id=payment_id))


def _payment_here(payment_id):
    """A payment this user may see: an organiser any, a manager only those of the booth it reports on."""
    payment = producer_payments.get_payment(db.session, payment_id)
    if current_user.role != "organiser" and payment.booth_id != report_booth().id:
        abort(404)
    return payment


@bp.route("/payments/<int:payment_id>")
@roles(*MANAGERS)
def payment_slip(payment_id):
    """The payment slip on A4, to print and sign."""
    payment = _payment_here(payment_id)
    st = producer_payments.payment_statement(db.session, payment)
    return render_template("reports/payment_slip.html", payment=payment, st=st,
                           before=producer_payments.paid_before(st, payment), can_record=True,
                           back=url_for("reports.statement", producer_id=payment.producer_id,
                                        **_booth_args(payment.booth)))


@bp.post("/payments/<int:payment_id>/slip")
@roles(*MANAGERS)
def payment_receipt_slip(payment_id):
    """The payment slip on this machine's receipt printer (a print job, retried if the printer is off)."""
    payment = _payment_here(payment_id)
    settings = print_queue.printer_settings(db.session, booths.current_booth(db.session), current_app.config)
    if settings.target.kind == "none":
        flash(_("Chưa in được: gian hàng chưa cài máy in phiếu (Cài đặt → Máy in). Có thể in bảng khổ A4."),
              "error")
    else:
        with unit_of_work(db.session) as s:
            producer_payments.queue_payment_slip(s, s.get(type(payment), payment.id), current_user, settings)
        flash(_("Đã gửi phiếu chi ra máy in phiếu."), "success")
    return redirect(url_for("reports.payment_slip", payment_id=payment.id))


@bp.post("/settlements/<int:producer_id>/printed")
@roles(*MANAGERS)
def statement_printed(producer_id):
    booth = report_booth()
    with unit_of_work(db.session) as s:
        closing.record_statement_printed(s, s.get(Booth, booth.id), current_user, producer_id)
    args = {"booth_id": booth.id} if current_user.role == "organiser" else {}
    return redirect(url_for("reports.statement", producer_id=producer_id, print=1, **args))


def _print_statements(booth: Booth, producer_ids: list[int] | None, done_message: str) -> None:
    """Queue statements on this machine's receipt printer (every producer's when producer_ids is None)."""
    # The printer is this machine's, as the print worker sees it, whichever booth the statement is about.
    settings = print_queue.printer_settings(db.session, booths.current_booth(db.session), current_app.config)
    if settings.target.kind == "none":
        flash(_("Chưa in được: gian hàng chưa cài máy in phiếu (Cài đặt → Máy in). Có thể in bảng khổ A4."),
              "error")
        return
    with unit_of_work(db.session) as s:
        jobs = closing.queue_statement_slips(s, s.get(Booth, booth.id), current_user, producer_ids, settings)
    if not jobs:
        flash(_("Gian hàng chưa nhận hàng của chủ thể nào."), "warning")
    else:
        flash(done_message, "success")


@bp.post("/settlements/<int:producer_id>/slip")
@roles(*MANAGERS)
def statement_slip(producer_id):
    """Print one statement on the receipt printer (a "report" print job), noted as printed for signature."""
    booth = report_booth()
    st = settlement.statement(db.session, booth, producer_id)  # NotFound (404) before anything is written
    _print_statements(booth, [st.producer.id],
                      _("Đã gửi bảng quyết toán của %(name)s ra máy in phiếu.", name=st.producer.name))
    args = {"booth_id": booth.id} if current_user.role == "organiser" else {}
    return redirect(url_for("reports.statement", producer_id=st.producer.id, **args))


@bp.post("/settlements/slips")
@roles(*MANAGERS)
def statement_slips():
    """Print every producer's statement at the booth on the receipt printer, one slip each."""
    booth = report_booth()
    back = request.form.get("back") == "closing"
    _print_statements(booth, None, _("Đã gửi bảng quyết toán của mọi chủ thể ra máy in phiếu."))
    if back:
        return redirect(url_for("reports.closing_page"))
    args = {"booth_id": booth.id} if current_user.role == "organiser" else {}
    return redirect(url_for("reports.settlements", **args))


# --- buyers who asked for a VAT invoice ---

@bp.route("/invoices")
@roles(*MANAGERS)
def invoices():
    """Sales whose buyer gave a tax code, by producer: each producer issues its own VAT e-invoice."""
    if current_user.role == "organiser" and not request.args.get("booth_id"):
        fair = _fair()
        booth_ids, where = [b.id for b in fair.booths], [fair.name]
    else:
        booth = report_booth()
        fair, booth_ids, where = booth.fair, [booth.id], [booth.fair.name, booth.name]
    lines = reports.invoice_lines(db.session, booth_ids)
    if (fmt := wanted_format()):
        return download([reports.invoice_table(lines, [_("KHÁCH CẦN HÓA ĐƠN GTGT"), *where])], fmt,
                        _("Khách cần hóa đơn"), fair.code)
    return render_template("reports/invoices.html", groups=reports.invoice_groups(lines), fair=fair, where=where,
                           fairs=reports.fairs_with_booths(db.session) if current_user.role == "organiser" else [],
                           portal=False)


# --- closing the fair at this booth ---


@bp.route("/closing")
@roles(*MANAGERS)
def closing_page():
    booth = current_booth_or_404()
    return render_template("reports/closing.html", state=closing.closing_state(db.session, booth), error_field=None)


def _closing_action(action):
    booth = current_booth_or_404()
    try:
        with unit_of_work(db.session) as s:
            result = action(s, s.get(Booth, booth.id))
    except DomainError as err:
        return refused("reports/closing.html", err, state=closing.closing_state(db.session, booth))
    return result


@bp.post("/closing/return/<int:producer_id>")
@roles(*MANAGERS)
def closing_return(producer_id):
    def act(s, booth):
        doc = closing.return_all_goods(s, booth, current_user, producer_id)
        flash(_("Đã ghi phiếu trả hàng %(number)s.", number=doc.number), "success")
        return redirect(url_for("stock.document", document_id=doc.id))
    return _closing_action(act)


def _ticked(name: str) -> bool:
    """A checkbox of the posted form: ticked when sent with a value that reads as on (as validate.boolean)."""
    return validate.boolean(request.form, name)


@bp.post("/closing/close")
@roles(*MANAGERS)
def closing_close():
    # Ticked checkboxes: a browser sends a box only when it is ticked.
    data = closing.CloseFair(_ticked("confirm"), _ticked("allow_unpushed"))

    def act(s, booth):
        closing.close_fair(s, booth, current_user, data)
        flash(_("Đã đóng hội chợ ở gian hàng này: từ giờ chỉ còn xem được."), "success")
        return redirect(url_for("reports.closing_page"))
    return _closing_action(act)


@bp.post("/closing/reopen")
@roles(*ORGANISER)
def closing_reopen():
    reason = request.form.get("reason", "")

    def act(s, booth):
        closing.reopen_fair(s, booth, current_user, reason)
        flash(_("Đã mở lại hội chợ ở gian hàng này."), "success")
        return redirect(url_for("reports.closing_page"))
    return _closing_action(act)


# --- the organiser's dashboard ---

def _fair():
    fair_id = request.args.get("fair_id")
    if fair_id:
        return reports.get_fair(db.session, fair_id)
    fair = reports.default_fair(db.session, booths.current_booth(db.session))
    if fair is None:
        abort(404)
    return fair


def _drill_url(fair, name: str, key: str, **extra) -> str:
    return url_for("reports.drill", fair_id=fair.id, **{reports.DIMENSIONS[name]: key}, **extra)


def dashboard_charts(board: reports.Dashboard, drill_url) -> dict:
    """The dashboard's SVG charts, each bar linking to its drill-down (drill_url(name, key) or None)."""
    def bars(name, label_of=lambda r: r.label, limit=12):
        return [charts.Bar(label_of(r), r.revenue_vnd, drill_url(name, r.key), _("%(n)s sp", n=r.units))
                for r in board.breakdowns.get(name, [])[:limit]]

    return {
        # A day outside the fair's dates (set-up day, an extension not yet entered) is starred.
        "day": charts.line_chart([charts.Series(board.fair.name, [
            (r.label[:5] + ("" if board.fair.includes(date.fromisoformat(r.key)) else "*"), r.revenue_vnd,
             drill_url("day", r.key)) for r in board.days])],
            title=_("Doanh thu theo ngày") if all(board.fair.includes(date.fromisoformat(r.key)) for r in board.days)
            else _("Doanh thu theo ngày (* ngoài ngày hội chợ)")),
        "hour": charts.column_chart([charts.Bar(f"{int(r.key):02d}h", r.revenue_vnd, drill_url("hour", r.key),
                                                _("%(n)s đơn", n=r.transactions or 0)) for r in board.hours],
                                    title=_("Doanh thu theo giờ (giờ Việt Nam)")),
        "producer": charts.bar_chart(bars("producer"), title=_("Doanh thu theo chủ thể")),
        "product": charts.bar_chart(bars("product"), title=_("Sản phẩm bán chạy"), color=charts.PALETTE[2]),
        "category": charts.bar_chart(bars("category"), title=_("Doanh thu theo nhóm hàng"), color=charts.PALETTE[3]),
        "stars": charts.bar_chart(bars("stars"), title=_("Doanh thu theo hạng sao OCOP"), color=charts.PALETTE[3]),
        "district": charts.bar_chart(bars("district"), title=_("Doanh thu theo huyện"), color=charts.PALETTE[4]),
        "booth": charts.bar_chart(bars("booth"), title=_("Doanh thu theo gian hàng"), color=charts.PALETTE[5]),
    }


def _change_text(a: int, b: int) -> str:
    """The change from b to a as the page writes it: "+12,5 %", "−3 %", or "" when b is 0."""
    c = reports.change_bp(a, b)
    if c is None:
        return ""
    return ("+" if c > 0 else "−" if c < 0 else "") + format_percent_bp(abs(c)) + "\u00a0%"


@bp.route("/dashboard")
@roles(*ORGANISER)
def dashboard():
    fair = _fair()
    fairs = reports.fairs_with_booths(db.session)
    args = dict(start=request.args.get("start", ""), end=request.args.get("end", ""),
                booth_id=arg_id("booth_id"))
    context = dict(fair=fair, fairs=fairs, args=args, booths=fair.booths)
    try:
        board = reports.dashboard(db.session, fair, start=args["start"], end=args["end"], booth_id=args["booth_id"])
    except DomainError as err:
        return refused("reports/dashboard.html", err, board=None, comparison=None, chart=None, **context)
    compare_id = arg_id("compare")
    comparison = None
    if compare_id and compare_id != fair.id:
        comparison = reports.compare(db.session, fair, reports.get_fair(db.session, compare_id))
    if (fmt := wanted_format()):
        tables = reports.dashboard_tables(board)
        if comparison is not None:
            tables.update({f"compare_{k}": v for k, v in reports.comparison_tables(comparison).items()})
        return download(pick_tables(tables), fmt, _("Tổng hợp hội chợ"), fair.code)
    period = {k: args[k] for k in ("start", "end") if args[k]}
    if args["booth_id"]:
        period["booth_id"] = args["booth_id"]

    def drill_url(name, key):
        return _drill_url(fair, name, key, **period)

    chart = dashboard_charts(board, drill_url)
    if comparison is not None:
        chart["compare"] = charts.line_chart([
            charts.Series(comparison.a.fair.name, [(_("Ngày %(n)s", n=i), a, None) for i, a, _b in comparison.days]),
            charts.Series(comparison.b.fair.name, [(_("Ngày %(n)s", n=i), b, None) for i, _a, b in comparison.days]),
        ], title=_("Doanh thu theo ngày hội chợ"))
        names = (comparison.a.fair.name, comparison.b.fair.name)
        for name, title in (("producer", _("So sánh theo chủ thể")), ("product", _("So sánh theo sản phẩm")),
                            ("district", _("So sánh theo huyện"))):
            chart[f"compare_{name}"] = charts.paired_bar_chart(comparison.by[name], names=names, title=title,
                                                               change_text=_change_text)
    return render_template("reports/dashboard.html", board=board, comparison=comparison, chart=chart,
                           drill_url=drill_url, all_sales_url=url_for("reports.drill", fair_id=fair.id, **period),
                           change_bp=reports.change_bp, change_text=_change_text, error_field=None, **context)


@bp.route("/dashboard/sales")
@roles(*ORGANISER)
def drill():
    fair = _fair()
    start, end = request.args.get("start", ""), request.args.get("end", "")
    try:
        filters = reports.clean_filters(request.args)
        found = reports.drill(db.session, fair, filters, start=start, end=end,
                              page=arg_page())
    except DomainError as err:
        return refused("reports/drill.html", err, fair=fair, found=None, labels=[], back=None)
    labels_ = reports.filter_labels(db.session, filters)
    if (fmt := wanted_format()):
        return download([reports.drill_table(found, labels_)], fmt, _("Đơn hàng"), fair.code)
    back = url_for("reports.dashboard", fair_id=fair.id, **{k: v for k, v in (("start", start), ("end", end)) if v})
    return render_template("reports/drill.html", fair=fair, found=found, labels=labels_, back=back, error_field=None)


# --- the organiser's catalogue: import and labels ---

@bp.route("/import", methods=["GET", "POST"])
@roles(*ORGANISER)
def catalogue_import():
    if request.method == "GET":
        return render_template("reports/import.html", report=None, kind=request.args.get("kind", "products"),
                               kinds=imports.KINDS, error_field=None)
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    name, data = (upload.filename, upload.read(imports.MAX_FILE_BYTES + 1)) if upload else ("", b"")
    skip = request.form.get("skip_bad_rows") == "1"
    context = dict(kind=kind, kinds=imports.KINDS, skip=skip)
    try:
        # Read and check the file before the write transaction: a huge or hostile file never holds up a till.
        sheet = imports.read_sheet(kind, name, data)
        if request.form.get("action") == "check":
            with unit_of_work(db.session) as s:  # the check's savepoint is rolled back: nothing is kept
                report = imports.check_sheet(s, sheet)
            status = 200 if not report.has_errors else 422
            return render_template("reports/import.html", report=report, error_field=None, **context), status
        with unit_of_work(db.session) as s:
            report = imports.import_sheet(s, sheet, skip_bad_rows=skip)
    except imports.ImportHasErrors as err:
        flash_error(err)
        return render_template("reports/import.html", report=err.report, error_field="file", **context), 422
    except DomainError as err:
        return refused("reports/import.html", err, report=None, **context)
    flash(_("Đã nhập %(n)s dòng.", n=report.imported) + (
        " " + _("Bỏ qua %(n)s dòng lỗi.", n=len(report.bad_rows)) if report.bad_rows else ""), "success")
    return render_template("reports/import.html", report=report, error_field=None, **context)


@bp.route("/import/template")
@roles(*ORGANISER)
def import_template():
    kind = request.args.get("kind", "products")
    if kind not in imports.KINDS:
        abort(404)
    name = exports.file_name(_("Mẫu nhập"), _(imports.KINDS[kind]), ext="xlsx")
    return Response(imports.template_workbook(kind), mimetype=exports.XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/labels", methods=["GET", "POST"])
@roles(*ORGANISER)
def label_list():
    if request.method == "POST":
        ids = request.form.getlist("product_id")
        with unit_of_work(db.session) as s:
            given = labels.assign_codes(s, ids or None)
        flash(_("Đã tạo mã vạch cho %(n)s sản phẩm.", n=len(given)), "success")
        return redirect(url_for("reports.label_list"))
    products = catalogue.search_products(db.session)
    return render_template("reports/labels.html", missing=labels.products_without_barcode(db.session),
                           products=[p for p in products if any(labels.is_ean13(c) for c in p.barcode_list)],
                           error_field=None)


@bp.route("/labels/sheet")
@roles(*ORGANISER)
def label_sheet():
    try:
        pages, skipped = labels.label_sheet(db.session, labels.parse_copies(request.args))
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("reports.label_list"))
    return render_template("reports/label_sheet.html", pages=pages, skipped=skipped,
                           count=sum(len(page) for page in pages))


# --- JSON ---

TAGS = ["reports"]


def _row_json(r: reports.Row) -> dict:
    return {"key": r.key, "label": r.label, "revenue_vnd": r.revenue_vnd, "units": r.units,
            "transactions": r.transactions, "share_bp": r.share_bp, "extra": r.extra}


def dashboard_json(board: reports.Dashboard) -> dict:
    return {
        "fair": {"id": board.fair.id, "code": board.fair.code, "name": board.fair.name},
        "start": board.start.isoformat() if board.start else None,
        "end": board.end.isoformat() if board.end else None,
        "revenue_vnd": board.revenue_vnd, "gross_vnd": board.gross_vnd, "discount_vnd": board.discount_vnd,
        "refunded_vnd": board.refunded_vnd, "transactions": board.transactions, "units": board.units,
        "average_basket_vnd": board.average_basket_vnd, "producers_count": board.producers_count,
        "products_count": board.products_count, "voided_count": board.voided_count,
        "breakdowns": {name: [_row_json(r) for r in rows] for name, rows in board.breakdowns.items()},
    }


@api_bp.get("/dashboard")
@roles(*ORGANISER)
@endpoint("A fair's revenue, transactions, units, average basket and breakdowns (organiser)",
          query=sc.DashboardQuery, response={"type": "object", "description": (
              "Figures: integer đồng; breakdowns by booth, producer, product, category, stars, district, "
              "commune, day and hour")}, errors=(404,), tags=TAGS)
def api_dashboard(query: sc.DashboardQuery):
    fair = _fair()
    board = reports.dashboard(db.session, fair, start=query.start, end=query.end, booth_id=query.booth_id)
    return jsonify(dashboard_json(board))


@api_bp.get("/dashboard/sales")
@roles(*ORGANISER)
@endpoint("The sales behind a dashboard figure, filtered like the drill-down page, 50 a page", query=sc.DrillQuery,
          response={"type": "object"}, errors=(404,), tags=TAGS)
def api_drill(query: sc.DrillQuery):
    fair = _fair()
    found = reports.drill(db.session, fair, reports.clean_filters(request.args), start=query.start, end=query.end,
                          page=query.page)
    return jsonify(revenue_vnd=found.revenue_vnd, units=found.units, sales_count=found.sales_count, page=found.page,
                   pages=found.pages, sales=[{
                       "id": s.sale_id, "receipt_no": s.receipt_no, "created_at": s.created_at.isoformat() + "Z",
                       "booth": s.booth_name, "total_vnd": s.total_vnd, "revenue_vnd": s.revenue_vnd,
                       "lines": [{"product_id": x.product_id, "name": x.name, "qty": x.qty, "net_vnd": x.net_vnd,
                                  "refunded_vnd": x.refunded_vnd} for x in s.lines]} for s in found.sales])


@api_bp.get("/daily")
@roles(*MANAGERS)
@endpoint("A booth's daily report: takings per method, voids, refunds, per producer and product",
          query=sc.DailyQuery, response={"type": "object"}, errors=(404,), tags=TAGS)
def api_daily(query: sc.DailyQuery):
    booth = report_booth()
    day = reports.parse_day(query.day) or local_today()
    r = reports.daily_report(db.session, booth, day)
    return jsonify(
        booth={"id": booth.id, "code": booth.code, "name": booth.name}, day=day.isoformat(),
        transactions=r.transactions, voided_count=r.voided_count, voided_vnd=r.voided_vnd,
        refunds_count=r.refunds_count, gross_vnd=r.gross_vnd, discount_vnd=r.discount_vnd, net_vnd=r.net_vnd,
        refunded_vnd=r.refunded_vnd, revenue_vnd=r.revenue_vnd,
        methods=[{"method": m.method, "count": m.count, "received_vnd": m.received_vnd,
                  "refunded_vnd": m.refunded_vnd, "net_vnd": m.net_vnd} for m in r.methods],
        producers=[{"producer_id": x.key, "name": x.name, "units": x.units - x.refunded_units,
                    "revenue_vnd": x.revenue_vnd} for x in r.producers],
        products=[{"product_id": x.key, "name": x.name, "units": x.units - x.refunded_units,
                   "revenue_vnd": x.revenue_vnd} for x in r.products])


@api_bp.get("/settlements")
@roles(*MANAGERS)
@endpoint("Every producer's settlement statement at the booth", query=sc.BoothQuery,
          response={"type": "object"}, errors=(404,), tags=TAGS)
def api_settlements(query: sc.BoothQuery):
    booth = report_booth()
    return jsonify(statements=[statement_json(st) for st in settlement.booth_statements(db.session, booth)])


@api_bp.get("/settlements/<int:producer_id>")
@roles(*MANAGERS)
@endpoint("One producer's settlement statement (bảng quyết toán) at the booth", query=sc.BoothQuery,
          response={"type": "object"}, tags=TAGS)
def api_statement(producer_id, query: sc.BoothQuery):
    return jsonify(statement_json(settlement.statement(db.session, report_booth(), producer_id)))


def closing_json(state: closing.ClosingState) -> dict:
    return {"closed_at": state.closed_at.isoformat() + "Z" if state.closed_at else None, "can_close": state.can_close,
            "unpushed": state.unpushed,
            "steps": [{"key": s.key, "label": s.label, "done": s.done, "detail": s.detail, "required": s.required}
                      for s in state.steps]}


@api_bp.get("/closing")
@roles(*MANAGERS)
@endpoint("Where this booth is in closing the fair: each step done or not", query=sc.NoQuery,
          response={"type": "object"}, errors=(404,), tags=TAGS)
def api_closing(query: sc.NoQuery):
    booth = current_booth_or_404()
    return jsonify(closing_json(closing.closing_state(db.session, booth)))


@api_bp.post("/closing/close")
@roles(*MANAGERS)
@endpoint("Close the fair at this booth (read-only afterwards)", body=sc.CloseFairIn, response={"type": "object"},
          errors=(404,), tags=TAGS)
def api_close(body: sc.CloseFairIn):
    booth = current_booth_or_404()
    with unit_of_work(db.session) as s:
        state = closing.close_fair(s, s.get(Booth, booth.id), current_user, body.typed())
        out = closing_json(state)
    return jsonify(out)
