"""The exchange's standard NDA (Vietnamese and English), revenue shares for state-funded results and the
registration rules: data staff can edit later in the admin, never constants in code."""

from decimal import Decimal

from django.db import migrations

NDA_VI = """THỎA THUẬN BẢO MẬT THÔNG TIN (mẫu chuẩn của Sàn giao dịch công nghệ TP.HCM)

1. Thông tin bảo mật là mọi tài liệu, dữ liệu, bí quyết kỹ thuật và thông tin kinh doanh mà Bên tiết lộ (bên đăng tin) cung cấp cho Bên nhận (tổ chức bày tỏ quan tâm) qua phòng giao dịch của Sàn, kể cả tệp được đánh dấu "bảo mật".
2. Bên nhận chỉ sử dụng thông tin bảo mật để đánh giá và đàm phán giao dịch chuyển giao công nghệ với Bên tiết lộ; không sao chép, tiết lộ cho bên thứ ba, không dùng để nộp đơn đăng ký quyền sở hữu trí tuệ hoặc phát triển công nghệ cạnh tranh.
3. Bên nhận chỉ cho phép nhân sự có nhu cầu công việc tiếp cận thông tin và chịu trách nhiệm về việc tuân thủ của họ.
4. Không áp dụng với thông tin đã công khai không do lỗi của Bên nhận, thông tin Bên nhận đã có hợp pháp từ trước, hoặc phải cung cấp theo yêu cầu của cơ quan nhà nước có thẩm quyền.
5. Nghĩa vụ bảo mật có hiệu lực 05 năm kể từ ngày chấp nhận. Khi giao dịch chấm dứt, Bên nhận hủy hoặc trả lại thông tin bảo mật theo yêu cầu.
6. Bên vi phạm phải bồi thường thiệt hại theo quy định của pháp luật Việt Nam. Tranh chấp được giải quyết bằng thương lượng, nếu không thành thì tại Tòa án có thẩm quyền tại Thành phố Hồ Chí Minh.
7. Việc chấp nhận điện tử trên Sàn (họ tên, tổ chức, thời điểm, địa chỉ IP và mã băm của văn bản này được ghi lại) có giá trị như chữ ký của người đại diện Bên nhận."""

NDA_EN = """NON-DISCLOSURE AGREEMENT (standard text of the Ho Chi Minh City Technology Exchange)

1. Confidential information means all documents, data, know-how and business information that the Disclosing Party (the listing owner) provides to the Receiving Party (the organisation expressing interest) through the Exchange's deal room, including files marked "confidential".
2. The Receiving Party shall use confidential information only to evaluate and negotiate a technology transfer with the Disclosing Party; it shall not copy it, disclose it to third parties, use it to file intellectual property applications or to develop a competing technology.
3. The Receiving Party shall give access only to staff who need it for this purpose and is responsible for their compliance.
4. This does not apply to information that is public through no fault of the Receiving Party, that it lawfully held before, or that it must disclose at the request of a competent authority.
5. The obligations last five (05) years from acceptance. When the deal ends, the Receiving Party destroys or returns confidential information on request.
6. A party in breach shall compensate damages under Vietnamese law. Disputes are settled by negotiation, failing which by the competent court in Ho Chi Minh City.
7. Electronic acceptance on the Exchange (name, organisation, time, IP address and the hash of this text are recorded) has the effect of the signature of the Receiving Party's representative."""


def load(apps, schema_editor):
    NdaTemplate = apps.get_model("deals", "NdaTemplate")
    RevenueShareRule = apps.get_model("deals", "RevenueShareRule")
    RegistrationRule = apps.get_model("deals", "RegistrationRule")
    NdaTemplate.objects.get_or_create(
        organization=None, code="standard", language="vi", version=1,
        defaults={"title": "Thỏa thuận bảo mật (mẫu chuẩn của Sàn)", "body": NDA_VI},
    )
    NdaTemplate.objects.get_or_create(
        organization=None, code="standard", language="en", version=1,
        defaults={"title": "Non-disclosure agreement (Exchange standard)", "body": NDA_EN},
    )
    source = "Nghị định 08/2014/NĐ-CP (có thể được sửa đổi bởi Luật Khoa học, công nghệ và đổi mới sáng tạo 2025)"
    RevenueShareRule.objects.get_or_create(
        party="authors", bound="min",
        defaults={
            "percent": Decimal("30.00"),
            "source": source,
            "note_vi": "Tác giả được hưởng tối thiểu 30% thu nhập từ chuyển giao kết quả nghiên cứu sử dụng ngân sách nhà nước.",
            "note_en": "Authors receive at least 30% of the revenue from transferring a state-funded research result.",
        },
    )
    RevenueShareRule.objects.get_or_create(
        party="broker", bound="max",
        defaults={
            "percent": Decimal("10.00"),
            "source": source,
            "note_vi": "Tổ chức, cá nhân môi giới được hưởng tối đa 10% thu nhập từ chuyển giao.",
            "note_en": "A broker receives at most 10% of the revenue from the transfer.",
        },
    )
    law = "Luật Chuyển giao công nghệ 07/2017/QH14, Điều 31"
    RegistrationRule.objects.get_or_create(
        code="cross_border",
        defaults={
            "description_vi": "Chuyển giao công nghệ từ nước ngoài vào Việt Nam hoặc từ Việt Nam ra nước ngoài phải đăng ký.",
            "description_en": "Transfers of technology into or out of Vietnam must be registered.",
            "deadline_days": 90,
            "source": law,
        },
    )
    RegistrationRule.objects.get_or_create(
        code="state_funded",
        defaults={
            "description_vi": "Chuyển giao trong nước kết quả nghiên cứu sử dụng ngân sách nhà nước phải đăng ký.",
            "description_en": "Domestic transfers of state-funded research results must be registered.",
            "deadline_days": 90,
            "source": law,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
