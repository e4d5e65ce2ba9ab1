"""Creating and editing listings through the portal forms; bad input comes back with field messages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listings.lifecycle import ListingState
from listings.models import Listing, ListingRevision, RevisionStage
from listings.tests.factories import ListingFactory

from .helpers import offer_payload, pdf_file, png_file, request_payload


def create_url(kind):
    return reverse("portal:listing_create", args=[kind])


def field_errors(response, name):
    form = response.context["form"]
    return [str(e) for e in form.errors.get(name, [])]


def test_create_offer(client, people):
    client.force_login(people.researcher)
    response = client.post(create_url("offer"), offer_payload(people.org))
    listing = Listing.objects.get(title_vi__startswith="Màng lọc")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:listing_detail", args=[listing.pk])
    assert listing.state == ListingState.DRAFT
    assert listing.kind == "offer"
    assert listing.organization == people.org
    assert listing.created_by == people.researcher
    assert listing.keywords == ["xử lý nước thải", "màng sinh học"]
    assert listing.inventors == ["Nguyễn Văn A", "Trần Thị B"]
    assert listing.price_min == 100_000_000 and listing.price_max == 500_000_000
    ip = listing.ip_rights.get()
    assert (ip.type, ip.status, ip.number) == ("patent", "granted", "1-0012345")


def test_create_request_has_request_fields(client, people):
    client.force_login(people.business)
    page = client.get(create_url("request")).content.decode()
    assert 'name="problem_vi"' in page and 'name="deadline"' in page and 'name="anonymous"' in page
    assert 'name="trl"' not in page and 'name="ip-TOTAL_FORMS"' not in page
    response = client.post(create_url("request"), request_payload(people.company))
    assert response.status_code == 302
    listing = Listing.objects.get(kind="request")
    assert listing.anonymous is True
    assert listing.deadline.isoformat() == "2030-12-31"
    assert (listing.trl_wanted_min, listing.trl_wanted_max) == (6, 8)
    assert listing.problem_vi == "Nước thải vượt chuẩn màu."
    assert listing.trl is None


@pytest.mark.parametrize("language", ["vi", "en"])
def test_price_min_above_max(client, people, language):
    client.force_login(people.researcher)
    url = f"/{language}/portal/listings/new/offer/"
    response = client.post(url, offer_payload(people.org, price_min="900", price_max="100"))
    assert response.status_code == 200
    expected = {
        "vi": "Giá tối đa phải lớn hơn hoặc bằng giá tối thiểu.",
        "en": "The maximum price must be greater than or equal to the minimum price.",
    }[language]
    assert field_errors(response, "price_max") == [expected]
    assert not Listing.objects.exists()
    assert 'class="field-row has-error" id="row-price_max"' in response.content.decode()


def test_trl_out_of_range(client, people):
    client.force_login(people.researcher)
    response = client.post(create_url("offer"), offer_payload(people.org, trl="12"))
    assert response.status_code == 200
    assert field_errors(response, "trl") == ["TRL phải là một số từ 1 đến 9."]
    assert not Listing.objects.exists()


def test_missing_title(client, people):
    client.force_login(people.researcher)
    response = client.post(create_url("offer"), offer_payload(people.org, title_vi="", title_en=""))
    assert response.status_code == 200
    assert field_errors(response, "title_vi") == ["Cần nhập tên bằng ít nhất một ngôn ngữ."]
    assert not Listing.objects.exists()


def test_offer_without_trl(client, people):
    client.force_login(people.researcher)
    response = client.post(create_url("offer"), offer_payload(people.org, trl=""))
    assert response.status_code == 200
    assert field_errors(response, "trl") == [
        "Chào bán công nghệ phải có mức độ sẵn sàng công nghệ (TRL 1–9)."
    ]


def test_request_trl_wanted_order_and_negative_budget(client, people):
    client.force_login(people.business)
    response = client.post(
        create_url("request"),
        request_payload(people.company, trl_wanted_min="8", trl_wanted_max="3", price_min="-5"),
    )
    assert response.status_code == 200
    assert field_errors(response, "trl_wanted_max") == ["TRL mong muốn “đến” phải lớn hơn hoặc bằng “từ”."]
    assert field_errors(response, "price_min") == ["Giá không được âm."]


def test_cannot_post_for_an_organisation_one_does_not_belong_to(client, people):
    client.force_login(people.researcher)
    response = client.post(create_url("offer"), offer_payload(people.other_org))
    assert response.status_code == 200
    assert field_errors(response, "organization")
    assert not Listing.objects.exists()


def test_ip_row_errors(client, people):
    client.force_login(people.researcher)
    response = client.post(
        create_url("offer"),
        offer_payload(people.org, **{"ip-0-number": "", "ip-0-granted_on": "2019-01-01"}),
    )
    assert response.status_code == 200
    ip_form = response.context["formset"].forms[0]
    assert ip_form.errors["number"] == ["Văn bằng đã cấp cần có số bằng để người mua tra cứu."]
    assert ip_form.errors["granted_on"] == ["Ngày cấp không thể trước ngày nộp đơn."]


def test_empty_ip_row_is_ignored(client, people):
    client.force_login(people.researcher)
    payload = offer_payload(
        people.org,
        **{
            "ip-0-type": "",
            "ip-0-number": "",
            "ip-0-status": "none",
            "ip-0-filed_on": "",
            "ip-0-granted_on": "",
        },
    )
    response = client.post(create_url("offer"), payload)
    assert response.status_code == 302
    assert not Listing.objects.get().ip_rights.exists()


def test_form_shows_completeness_while_editing(client, people):
    client.force_login(people.researcher)
    page = client.get(create_url("offer")).content.decode()
    assert "Mức độ đầy đủ" in page
    assert "0%" in page
    response = client.post(create_url("offer"), offer_payload(people.org, trl="12"))
    score = response.context["score"]
    # The typed title, summary... count even though the form is not valid yet.
    assert 0 < score.score < 100
    assert any(item.key == "trl" for item in score.missing)


def test_edit_draft_changes_it_at_once(client, people, offer):
    client.force_login(people.researcher)
    url = reverse("portal:listing_edit", args=[offer.pk])
    page = client.get(url).content.decode()
    assert offer.title_vi in page
    response = client.post(url, offer_payload(title_vi="Tên mới"))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.title_vi == "Tên mới"
    assert not ListingRevision.objects.exists()


def test_edit_published_creates_a_pending_revision(client, people):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, published=True)
    client.force_login(people.researcher)
    url = reverse("portal:listing_edit", args=[listing.pk])
    page = client.get(url).content.decode()
    assert "Tin này đang được đăng công khai." in page
    assert "bản sửa chờ duyệt" in page
    response = client.post(url, offer_payload(title_vi="Tên đề xuất"), follow=True)
    listing.refresh_from_db()
    assert listing.title_vi != "Tên đề xuất"  # live listing unchanged
    revision = ListingRevision.objects.get(listing=listing)
    assert revision.stage == RevisionStage.TTO
    assert revision.data["title_vi"] == "Tên đề xuất"
    body = response.content.decode()
    assert "Đã gửi bản sửa cho bộ phận chuyển giao (TTO) duyệt." in body
    # The listing page shows the pending revision with its diff against the live version.
    assert "Bản sửa đang chờ duyệt" in body
    assert "Tên đề xuất" in body and listing.title_vi in body
    # Editing again starts from the pending proposal.
    assert 'value="Tên đề xuất"' in client.get(url).content.decode()


def test_edit_published_without_changes_says_so(client, people):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, published=True)
    client.force_login(people.researcher)
    url = reverse("portal:listing_edit", args=[listing.pk])
    form = client.get(url).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if name == "field":
            value = value.pk
        if isinstance(value, list):
            data[name] = value
        else:
            data[name] = str(value)
    data.update(
        {"ip-TOTAL_FORMS": "0", "ip-INITIAL_FORMS": "0", "ip-MIN_NUM_FORMS": "0", "ip-MAX_NUM_FORMS": "20"}
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Không có thay đổi nào so với bản đang đăng." in response.content.decode()


def test_closed_listing_is_not_editable(client, people):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, state=ListingState.CLOSED)
    client.force_login(people.researcher)
    response = client.get(reverse("portal:listing_edit", args=[listing.pk]), follow=True)
    assert "Không thể sửa tin ở trạng thái" in response.content.decode()


# --- media --------------------------------------------------------------------------------------------
def media_url(listing):
    return reverse("portal:listing_media", args=[listing.pk])


def test_upload_bad_file_type(client, people, offer):
    client.force_login(people.researcher)
    response = client.post(
        media_url(offer),
        {
            "which": "attachment",
            "att-file": SimpleUploadedFile("virus.exe", b"MZ\x90\x00" * 10),
            "att-title": "x",
        },
    )
    assert response.status_code == 200
    errors = response.context["attachment_form"].errors["file"]
    assert "Định dạng tệp “.exe” không được phép" in errors[0]
    assert not offer.attachments.exists()


def test_upload_renamed_file_is_refused(client, people, offer):
    client.force_login(people.researcher)
    response = client.post(
        media_url(offer),
        {"which": "attachment", "att-file": SimpleUploadedFile("fake.pdf", b"not a pdf at all")},
    )
    assert "tệp có thể bị đổi đuôi" in response.context["attachment_form"].errors["file"][0]


def test_upload_bad_image(client, people, offer):
    client.force_login(people.researcher)
    response = client.post(
        media_url(offer), {"which": "image", "img-image": SimpleUploadedFile("anh.png", b"hello")}
    )
    assert response.status_code == 200
    assert response.context["image_form"].errors["image"] == ["Tệp không phải là ảnh hợp lệ."]
    assert not offer.images.exists()


def test_upload_public_and_confidential_documents_and_image(client, people, offer):
    client.force_login(people.researcher)
    assert (
        client.post(
            media_url(offer), {"which": "image", "img-image": png_file(), "img-caption": "Mẫu"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            media_url(offer), {"which": "attachment", "att-file": pdf_file(), "att-title": "Brochure"}
        ).status_code
        == 302
    )
    response = client.post(
        media_url(offer),
        {"which": "attachment", "att-file": pdf_file("ket-qua.pdf"), "att-confidential": "on"},
    )
    assert response.status_code == 302
    assert offer.images.count() == 1
    assert offer.attachments.filter(confidential=False).count() == 1
    confidential = offer.attachments.get(confidential=True)
    assert confidential.private_file and not confidential.public_file
    page = client.get(media_url(offer)).content.decode()
    assert "Brochure" in page and "ket-qua.pdf" in page
    # Removing works too.
    image = offer.images.get()
    client.post(reverse("portal:media_remove", args=[offer.pk, "image", image.pk]))
    assert not offer.images.exists()


def test_media_of_live_listing_says_it_changes_at_once(client, people):
    listing = ListingFactory(organization=people.org, created_by=people.researcher, published=True)
    client.force_login(people.researcher)
    assert "thay đổi ngay trên trang công khai" in client.get(media_url(listing)).content.decode()


def test_cannot_remove_another_listings_file(client, people, offer):
    other = ListingFactory(organization=people.org, created_by=people.researcher)
    client.force_login(people.researcher)
    client.post(media_url(other), {"which": "image", "img-image": png_file()})
    image = other.images.get()
    response = client.post(reverse("portal:media_remove", args=[offer.pk, "image", image.pk]))
    assert response.status_code == 404
    assert other.images.exists()
