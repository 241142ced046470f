import pytest

from jiqun.observatory.credit_code import check_character, is_valid, problem

# Published codes of real enterprises (from their business licences), an independent golden set.
REAL = ["91350100M000100Y43", "9144030071526726XG", "91330100799655058B", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid(code)
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL)
def test_any_single_changed_character_is_caught(code: str) -> None:
    for i in range(17):
        for replacement in "0A":
            if code[i] != replacement:
                changed = code[:i] + replacement + code[i + 1 :]
                assert problem(changed) == "credit_code_check"


def test_problems() -> None:
    assert problem("9137078212345") == "credit_code_length"
    assert problem("91370782I2345678XX") == "credit_code_charset"
    assert problem("911100001000013260") == "credit_code_check"
