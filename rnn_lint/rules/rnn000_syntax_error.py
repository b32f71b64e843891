from rnn_lint.rule import RECURRENT_CODE, Rule


class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a file that rnn-lint could not read, decode or parse, with the reason. The run goes on
    with the other files, and the exit status is 1 as for any other finding.

    ## Why is this bad?
    A file that cannot be parsed cannot be checked: every other rule is silent on it. Usually the
    file has a syntax error (Python would refuse it too), is not valid UTF-8 and declares no other
    encoding, or could not be opened.

    ## Example
    ```python
    import torch.nn as nn
    lstm = nn.LSTM(8, 16
    ```

    ## Use instead
    ```python
    import torch.nn as nn
    lstm = nn.LSTM(8, 16)
    ```
    """

    code = "RNN000"
    name = "syntax-error"
    pattern = RECURRENT_CODE
    message = "File could not be read or parsed"

    def check(self, facts):
        return ()  # the engine reports unreadable files itself: there are no facts to query
