"""The script to give ``spark-submit``: the listclean command line, run by Spark's launcher.

    spark-submit --master yarn "$(python -m listclean.engines.submit --path)" \\
        check hdfs:///crm/contacts.parquet --engine spark --spark-master yarn

(A script inside the package puts its own folder first on ``sys.path``; it is taken off again
so that listclean's modules never shadow top-level ones, e.g. ``listclean/dns.py`` and dnspython.)
"""

import os
import sys


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    if sys.argv[1:] == ["--path"]:
        print(os.path.abspath(__file__))
        return
    from listclean.entry import main as listclean

    listclean()


if __name__ == "__main__":
    main()
