import matplotlib
import pytest
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def one_blas_thread():
    # The test matrices are tiny: BLAS threads only contend, which on a busy
    # 2-core machine makes linear algebra up to 10x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        yield
