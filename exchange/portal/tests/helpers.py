import io

from django.core.files.uploadedfile import SimpleUploadedFile


def offer_payload(organization=None, **overrides):
    data = {
        "title_vi": "Màng lọc sinh học xử lý nước thải dệt nhuộm",
        "title_en": "Biofilm membrane for textile wastewater",
        "summary_vi": "Giảm 80% COD.",
        "advantages_vi": "Rẻ hơn 30% so với công nghệ nhập khẩu.",
        "applications_vi": "Nhà máy dệt nhuộm.",
        "field": "",
        "keywords": "xử lý nước thải, màng sinh học",
        "trl": "6",
        "transaction_types": ["exclusive_license"],
        "price_min": "100000000",
        "price_max": "500000000",
        "inventors": "Nguyễn Văn A\nTrần Thị B",
        "ip-TOTAL_FORMS": "1",
        "ip-INITIAL_FORMS": "0",
        "ip-MIN_NUM_FORMS": "0",
        "ip-MAX_NUM_FORMS": "20",
        "ip-0-type": "patent",
        "ip-0-status": "granted",
        "ip-0-number": "1-0012345",
        "ip-0-jurisdiction": "VN",
        "ip-0-filed_on": "2020-01-15",
        "ip-0-granted_on": "2022-06-01",
    }
    from listings.models import ScienceField

    data["field"] = str(ScienceField.objects.get(code="2.07").pk)
    if organization is not None:
        data["organization"] = str(organization.pk)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def request_payload(organization=None, **overrides):
    from listings.models import ScienceField

    data = {
        "title_vi": "Cần công nghệ xử lý nước thải dệt nhuộm",
        "summary_vi": "Nhà máy 500 m3/ngày.",
        "problem_vi": "Nước thải vượt chuẩn màu.",
        "desired_outcome_vi": "Đạt QCVN 13:2015.",
        "field": str(ScienceField.objects.get(code="2.07").pk),
        "keywords": "dệt nhuộm",
        "trl_wanted_min": "6",
        "trl_wanted_max": "8",
        "transaction_types": ["assignment"],
        "price_min": "200000000",
        "price_max": "1000000000",
        "deadline": "2030-12-31",
        "anonymous": "on",
    }
    if organization is not None:
        data["organization"] = str(organization.pk)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def png_file(name="anh.png"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_file(name="brochure.pdf"):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )
